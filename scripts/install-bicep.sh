#!/usr/bin/env bash
# Prints the path of a Bicep CLI. Uses `bicep` on PATH when there is one; otherwise restores the
# pinned Azure.Bicep.CommandLine.linux-x64 NuGet package (the only place CI can get Bicep from: it
# reaches NuGet, not GitHub releases) into .local/tools/bicep and prints the binary inside it.
# Everything but the path goes to stderr, so callers can do: BICEP="$(bash scripts/install-bicep.sh)".
set -euo pipefail

BICEP_VERSION="0.49.2"   # Azure.Bicep.CommandLine.linux-x64; bump deliberately, then re-run check-infra.sh

if [[ "${RESTOREWATCH_IGNORE_PATH_BICEP:-}" != "1" ]] && command -v bicep >/dev/null 2>&1; then
  echo "using bicep on PATH: $(bicep --version 2>&1 | head -n1)" >&2
  command -v bicep
  exit 0
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "install-bicep.sh: only linux-x64 is supported here; install bicep and put it on PATH" >&2; exit 1 ;;
esac
command -v dotnet >/dev/null 2>&1 || { echo "install-bicep.sh: needs the .NET SDK (dotnet) to restore Bicep from NuGet" >&2; exit 1; }

root="$(cd "$(dirname "$0")/.." && pwd)"
tool_dir="$root/.local/tools/bicep"
packages="$tool_dir/packages"
bin="$packages/azure.bicep.commandline.linux-x64/$BICEP_VERSION/tools/bicep"

if [[ ! -x "$bin" ]]; then
  mkdir -p "$tool_dir"
  # A throwaway project whose only purpose is to make `dotnet restore` download the package.
  cat >"$tool_dir/bicep-restore.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>netstandard2.0</TargetFramework>
    <NoWarn>\$(NoWarn);NU1701</NoWarn>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Azure.Bicep.CommandLine.linux-x64" Version="[$BICEP_VERSION]" ExcludeAssets="all" />
  </ItemGroup>
</Project>
XML
  echo "restoring Azure.Bicep.CommandLine.linux-x64 $BICEP_VERSION from NuGet..." >&2
  DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 \
    dotnet restore "$tool_dir/bicep-restore.csproj" --packages "$packages" --nologo -v quiet >&2
  found="$(find "$packages/azure.bicep.commandline.linux-x64/$BICEP_VERSION" -type f -name bicep | head -n1)"
  [[ -n "$found" ]] || { echo "install-bicep.sh: the restored package has no 'bicep' binary" >&2; exit 1; }
  chmod +x "$found"
  bin="$found"
fi

echo "using bicep $("$bin" --version 2>&1 | head -n1)" >&2
echo "$bin"
