/*
 * The store's VFS: the default one, with the writes to the WAL file
 * gathered into a few large pwrites per commit (store_vfs.c says why it is safe).
 */
#ifndef HRX_SCHED_STORE_VFS_H
#define HRX_SCHED_STORE_VFS_H

#define STORE_VFS_NAME  "hrx-wal"

/* register it once (not the default); its name, or NULL when the default
 * VFS cannot be wrapped */
const char *store_vfs_register(void);

#endif /* HRX_SCHED_STORE_VFS_H */
