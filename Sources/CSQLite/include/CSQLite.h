// SQLite for Swift: SQLITE_TRANSIENT is a cast macro Swift cannot import, so binding helpers live here.
#ifndef CSQLITE_H
#define CSQLITE_H
#include <sqlite3.h>
static inline int csqlite_bind_text(sqlite3_stmt *s, int i, const char *text, int n) {
    return sqlite3_bind_text(s, i, text, n, SQLITE_TRANSIENT);
}
static inline int csqlite_bind_blob(sqlite3_stmt *s, int i, const void *data, int n) {
    return sqlite3_bind_blob(s, i, data, n, SQLITE_TRANSIENT);
}
#endif
