import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_BATCH_BYTES, packBatches } from "../../shared/state/stateStore";

/** A stand-in for a session row with its alert rows: only the sizes matter to packing. */
interface FakeGroup {
  readonly id: number;
  readonly actions: readonly unknown[];
  readonly bytes: number;
}

const group = (id: number, operations: number, bytes = 1000): FakeGroup => ({ id, actions: Array.from({ length: operations }), bytes });

function pack(groups: FakeGroup[]): FakeGroup[][] {
  return [...packBatches(groups)];
}

const operations = (batch: FakeGroup[]): number => batch.reduce((sum, g) => sum + g.actions.length, 0);

describe("packing session groups into transactions", () => {
  it("reaches the floor where a pair meets a single free slot: 99 singles, a pair, a single make 2 transactions of 100 and 2", () => {
    const groups = [...Array.from({ length: 99 }, (_, i) => group(i, 1)), group(99, 2), group(100, 1)];
    const batches = pack(groups);
    expect(batches.map(operations)).toEqual([100, 2]);
  });

  it("every group exactly once, no batch over 100 operations or the byte limit, and ⌈operations ÷ 100⌉ batches", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 1500 }), (sizes) => {
        const groups = sizes.map((n, i) => group(i, n));
        const batches = pack(groups);
        expect(batches.flat().map((g) => g.id).sort((a, b) => a - b)).toEqual(groups.map((g) => g.id));
        for (const batch of batches) expect(operations(batch)).toBeLessThanOrEqual(100);
        const total = sizes.reduce((a, b) => a + b, 0);
        // Pairs and triples can strand a slot or two only when nothing small is left to fill them.
        if (sizes.every((n) => n <= 2)) expect(batches).toHaveLength(Math.ceil(total / 100));
        else expect(batches.length).toBeLessThanOrEqual(Math.ceil(total / 98) + 1);
      }),
    );
  });

  it("closes a batch at the byte limit and carries the held group into the next", () => {
    const big = Math.floor(MAX_BATCH_BYTES / 2) + 1;
    const batches = pack([group(0, 1, big), group(1, 1, big), group(2, 1, 10), group(3, 1, big)]);
    for (const batch of batches) expect(batch.reduce((sum, g) => sum + g.bytes, 0)).toBeLessThanOrEqual(MAX_BATCH_BYTES);
    expect(batches.map((b) => b.map((g) => g.id))).toEqual([[0, 2], [1], [3]]);
  });

  it("a group too large for any transaction still goes alone (the service says why), and nothing is dropped", () => {
    const batches = pack([group(0, 1), group(1, 150), group(2, 1)]);
    expect(batches.flat().map((g) => g.id).sort()).toEqual([0, 1, 2]);
    expect(batches.find((b) => b.some((g) => g.id === 1))).toHaveLength(1);
  });

  it("holds back at most a batch's worth of groups, however the sizes fall", () => {
    // 99 singles leave one slot; then only pairs: each pair is held until the held list forces a batch.
    const groups = [...Array.from({ length: 99 }, (_, i) => group(i, 1)), ...Array.from({ length: 500 }, (_, i) => group(99 + i, 2))];
    const iterator = packBatches(groups);
    const first = iterator.next();
    expect(first.done).toBe(false);
    expect(operations(first.value as FakeGroup[])).toBe(99);
    expect([...iterator].flat()).toHaveLength(500);
  });
});
