// zlib for Swift: deflateInit2/inflateInit2 are macros, so they get function wrappers here.
#ifndef CZLIB_H
#define CZLIB_H
#include <zlib.h>
static inline int czlib_deflate_init2(z_streamp s, int level, int method, int windowBits, int memLevel, int strategy) {
    return deflateInit2(s, level, method, windowBits, memLevel, strategy);
}
static inline int czlib_inflate_init2(z_streamp s, int windowBits) { return inflateInit2(s, windowBits); }
#endif
