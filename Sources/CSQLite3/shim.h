// The system SQLite (Debian: libsqlite3-dev), for the emulator's --state database.
#include <sqlite3.h>
