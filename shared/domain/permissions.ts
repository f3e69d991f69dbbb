/** The Microsoft Graph application permission restorewatch needs: reading restore sessions and their artifacts. */
export const RESTORE_READ_PERMISSION = "BackupRestore-Restore.Read.All";
