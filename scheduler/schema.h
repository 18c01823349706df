#ifndef HRX_SCHEMA_H
#define HRX_SCHEMA_H

/* the migrations, in order (schema.c); PRAGMA user_version counts them */
extern const char *const store_migrations[];
extern const int store_migration_count;

#endif /* HRX_SCHEMA_H */
