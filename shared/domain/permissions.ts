/** The Microsoft Graph application permission restorewatch needs: reading restore sessions and their artifacts. */
export const RESTORE_READ_PERMISSION = "BackupRestore-Restore.Read.All";

/**
 * Optional: lets POST /directoryObjects/getByIds name the owners of failed mailboxes and OneDrives
 * (protection units give application callers only their object ids). User.Read.All is the narrower
 * and reported to suffice; Directory.Read.All is the least privilege Graph documents for that call.
 */
export const DIRECTORY_READ_PERMISSIONS = ["User.Read.All", "Directory.Read.All"] as const;
