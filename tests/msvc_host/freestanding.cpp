// The definitions behind freestanding.h, and the symbols a compiler expects from the CRT that
// this host does without. Kept free of anything that would pull in more of it: no 64-bit
// division (x86 would call _aulldiv), stack frames under 4 KiB (no __chkstk), no statics that
// need constructors at start-up (they would never run).
#include "freestanding.h"

// ---- what the compiler may call on its own -------------------------------------------------------
extern "C" {
int _fltused = 0; // referenced by any translation unit that touches float/double (tVariant does)

// Written through volatile pointers so that the optimiser cannot turn the loops back into calls
// to themselves.
void* memset(void* dst, int c, size_t n) {
    volatile unsigned char* d = (volatile unsigned char*)dst;
    while (n--) *d++ = (unsigned char)c;
    return dst;
}
void* memcpy(void* dst, const void* src, size_t n) {
    volatile unsigned char* d = (volatile unsigned char*)dst;
    const unsigned char* s = (const unsigned char*)src;
    while (n--) *d++ = *s++;
    return dst;
}
void* memmove(void* dst, const void* src, size_t n) {
    volatile unsigned char* d = (volatile unsigned char*)dst;
    const unsigned char* s = (const unsigned char*)src;
    if (d < s) {
        while (n--) *d++ = *s++;
    } else {
        while (n--) d[n] = s[n];
    }
    return dst;
}
int memcmp(const void* a, const void* b, size_t n) {
    const unsigned char *x = (const unsigned char*)a, *y = (const unsigned char*)b;
    for (size_t i = 0; i < n; ++i)
        if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    return 0;
}
int _purecall() {
    say("FAIL a pure virtual function was called");
    ExitProcess(3);
    return 0;
}
}

void* operator new(size_t n) { return heap_alloc(n); }
void* operator new[](size_t n) { return heap_alloc(n); }
void operator delete(void* p) noexcept { heap_free(p); }
void operator delete[](void* p) noexcept { heap_free(p); }
void operator delete(void* p, size_t) noexcept { heap_free(p); } // deleting destructors use it

// ---- memory --------------------------------------------------------------------------------------
const unsigned long HEAP_ZERO_MEMORY = 0x8;

void* heap_alloc(size_t bytes) {
    void* p = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, bytes ? bytes : 1);
    if (p == nullptr) {
        say("FAIL the host's heap is exhausted");
        ExitProcess(3);
    }
    return p;
}

void heap_free(void* p) {
    if (p != nullptr) HeapFree(GetProcessHeap(), 0, p);
}

// ---- UTF-16 --------------------------------------------------------------------------------------
size_t wlen(const wchar_t* s) {
    size_t n = 0;
    while (s != nullptr && s[n] != 0) ++n;
    return n;
}

bool weq(const wchar_t* a, const wchar_t* b) {
    size_t n = wlen(b);
    return a != nullptr && wlen(a) == n && memcmp(a, b, n * 2) == 0;
}

bool wcontains(const wchar_t* hay, const wchar_t* needle) {
    size_t h = wlen(hay), n = wlen(needle);
    for (size_t i = 0; hay != nullptr && i + n <= h; ++i)
        if (memcmp(hay + i, needle, n * 2) == 0) return true;
    return false;
}

wchar_t* wdup(const wchar_t* s) {
    size_t n = wlen(s);
    wchar_t* d = (wchar_t*)heap_alloc((n + 1) * 2);
    memcpy(d, s == nullptr ? L"" : s, n * 2);
    return d;
}

long wnumber_after(const wchar_t* s, const wchar_t* key) {
    size_t h = wlen(s), k = wlen(key);
    for (size_t i = 0; s != nullptr && i + k <= h; ++i) {
        if (memcmp(s + i, key, k * 2) != 0) continue;
        long v = -1;
        for (size_t j = i + k; s[j] >= L'0' && s[j] <= L'9'; ++j) v = (v < 0 ? 0 : v * 10) + (s[j] - L'0');
        return v;
    }
    return -1;
}

// ---- console output ------------------------------------------------------------------------------
namespace {
char g_line[4096];
unsigned g_len;
Lock g_out_lock; // put/end_line run on the host's thread only; the lock keeps end_line whole

void put_byte(char c) {
    if (g_len + 1 < sizeof g_line) g_line[g_len++] = c;
}
} // namespace

void put(const char* s) {
    while (s != nullptr && *s) put_byte(*s++);
}

void put(const wchar_t* s) {
    for (size_t i = 0; s != nullptr && s[i] != 0; ++i) {
        unsigned c = s[i];
        if (c >= 0xD800 && c < 0xDC00 && s[i + 1] >= 0xDC00 && s[i + 1] < 0xE000)
            c = 0x10000 + ((c - 0xD800) << 10) + (unsigned)(s[++i] - 0xDC00);
        if (c < 0x80) {
            put_byte((char)c);
        } else if (c < 0x800) {
            put_byte((char)(0xC0 | (c >> 6)));
            put_byte((char)(0x80 | (c & 0x3F)));
        } else if (c < 0x10000) {
            put_byte((char)(0xE0 | (c >> 12)));
            put_byte((char)(0x80 | ((c >> 6) & 0x3F)));
            put_byte((char)(0x80 | (c & 0x3F)));
        } else {
            put_byte((char)(0xF0 | (c >> 18)));
            put_byte((char)(0x80 | ((c >> 12) & 0x3F)));
            put_byte((char)(0x80 | ((c >> 6) & 0x3F)));
            put_byte((char)(0x80 | (c & 0x3F)));
        }
    }
}

void put(unsigned v) {
    char digits[12];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) put_byte(digits[--n]);
}

void put(int v) { put((long)v); }

void put(long v) {
    if (v < 0) {
        put_byte('-');
        put((unsigned)(-(v + 1)) + 1u);
    } else {
        put((unsigned)v);
    }
}

void put(unsigned long v) { put((unsigned)v); }

void put(unsigned long long v) {
    if ((v >> 32) == 0) {
        put((unsigned)v);
        return;
    }
    put("0x");
    for (int shift = 60; shift >= 0; shift -= 4) put_byte("0123456789abcdef"[(unsigned)(v >> shift) & 0xF]);
}

void put(bool v) { put(v ? "true" : "false"); }

void end_line() {
    Guard g(g_out_lock);
    put_byte('\n');
    unsigned long written = 0;
    WriteFile(GetStdHandle((unsigned long)-11), g_line, g_len, &written, nullptr);
    g_len = 0;
}

// ---- files -----------------------------------------------------------------------------------
unsigned char* read_file(const wchar_t* path, unsigned long* n) {
    const unsigned long GENERIC_READ = 0x80000000, OPEN_EXISTING = 3, FILE_SHARE_READ = 1;
    void* file = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, nullptr, OPEN_EXISTING, 0, nullptr);
    if (file == (void*)-1) return nullptr;
    const unsigned long MAX = 1 << 20;
    unsigned char* data = (unsigned char*)heap_alloc(MAX);
    *n = 0;
    int ok = ReadFile(file, data, MAX, n, nullptr);
    CloseHandle(file);
    if (!ok) {
        heap_free(data);
        return nullptr;
    }
    return data;
}

// ---- the command line ----------------------------------------------------------------------------
Vec<wchar_t*> command_line_args() {
    Vec<wchar_t*> args;
    const wchar_t* p = GetCommandLineW();
    while (p != nullptr && *p) {
        while (*p == L' ' || *p == L'\t') ++p;
        if (!*p) break;
        size_t n = 0;
        wchar_t* arg = (wchar_t*)heap_alloc((wlen(p) + 1) * 2);
        bool quoted = false;
        for (; *p && (quoted || (*p != L' ' && *p != L'\t')); ++p) {
            if (*p == L'"')
                quoted = !quoted;
            else
                arg[n++] = *p;
        }
        args.push(arg);
    }
    return args;
}
