// What a C++ program needs when there is no MSVC CRT and no Windows SDK (build-targets.md, "A
// Windows host whose ABI a compiler generates"): the few kernel32 and crypt32 functions the host
// calls, declared by hand (msvc-host.sh makes their import libraries from *.def.in), heap
// memory, a lock, a clock, console output, and a growable array. freestanding.cpp defines them
// and the symbols the compiler expects from a CRT (memset, memcpy, _purecall, new/delete, ...).
#pragma once

#include "../native_api/addin.h"

// ---- kernel32 (WINAPI = __stdcall; every name is listed in kernel32.def.in) ----------------------
extern "C" {
__declspec(dllimport) void* __stdcall LoadLibraryW(const wchar_t* path);
__declspec(dllimport) void* __stdcall GetProcAddress(void* module, const char* name);
__declspec(dllimport) int __stdcall FreeLibrary(void* module);
__declspec(dllimport) int __stdcall GetModuleHandleExW(unsigned long flags, const wchar_t* name, void** module);
__declspec(dllimport) void* __stdcall GetProcessHeap();
__declspec(dllimport) void* __stdcall HeapAlloc(void* heap, unsigned long flags, size_t bytes);
__declspec(dllimport) int __stdcall HeapFree(void* heap, unsigned long flags, void* p);
__declspec(dllimport) void* __stdcall GetStdHandle(unsigned long which);
__declspec(dllimport) int __stdcall WriteFile(void* file, const void* data, unsigned long n, unsigned long* written,
                                              void* overlapped);
__declspec(dllimport) void __stdcall Sleep(unsigned long ms);
__declspec(dllimport) uint64_t __stdcall GetTickCount64();
__declspec(dllimport) void __stdcall ExitProcess(unsigned code);
__declspec(dllimport) wchar_t* __stdcall GetCommandLineW();
__declspec(dllimport) unsigned long __stdcall GetCurrentThreadId();
__declspec(dllimport) void __stdcall AcquireSRWLockExclusive(void** lock);
__declspec(dllimport) void __stdcall ReleaseSRWLockExclusive(void** lock);
__declspec(dllimport) void* __stdcall CreateFileW(const wchar_t* name, unsigned long access, unsigned long share,
                                                  void* security, unsigned long disposition, unsigned long flags,
                                                  void* tmpl);
__declspec(dllimport) int __stdcall ReadFile(void* file, void* data, unsigned long n, unsigned long* read,
                                             void* overlapped);
__declspec(dllimport) int __stdcall CloseHandle(void* handle);

// crypt32 (crypt32.def.in): the certificate stores that the add-in's SystemCertificates reads.
__declspec(dllimport) void* __stdcall CertOpenSystemStoreW(size_t provider, const wchar_t* name);
__declspec(dllimport) int __stdcall CertAddEncodedCertificateToStore(void* store, unsigned long encoding,
                                                                     const unsigned char* data, unsigned long n,
                                                                     unsigned long disposition, void** added);
__declspec(dllimport) int __stdcall CertCloseStore(void* store, unsigned long flags);
}

// The CRT's memory functions, defined in freestanding.cpp (the compiler may call them itself).
extern "C" {
void* memset(void* dst, int c, size_t n);
void* memcpy(void* dst, const void* src, size_t n);
void* memmove(void* dst, const void* src, size_t n);
int memcmp(const void* a, const void* b, size_t n);
}

// GetModuleHandleExW: look the module up without taking a reference.
const unsigned long MODULE_UNCHANGED_REFCOUNT = 2;

// ---- memory, locks, time -------------------------------------------------------------------------
void* heap_alloc(size_t bytes); // zeroed; exits the process when the heap is exhausted
void heap_free(void* p);

// An SRW lock: one pointer, zero-initialised, no setup call.
struct Lock {
    void* srw = nullptr;
    void lock() { AcquireSRWLockExclusive(&srw); }
    void unlock() { ReleaseSRWLockExclusive(&srw); }
};
struct Guard {
    Lock& l;
    explicit Guard(Lock& lock) : l(lock) { l.lock(); }
    ~Guard() { l.unlock(); }
};

// Milliseconds since boot, cut to 32 bits (differences stay right across a wrap; printing a
// 64-bit number on x86 would need the CRT's 64-bit division helpers).
inline unsigned now_ms() { return (unsigned)GetTickCount64(); }

// ---- UTF-16 helpers ------------------------------------------------------------------------------
size_t wlen(const wchar_t* s);
bool weq(const wchar_t* a, const wchar_t* b);
bool wcontains(const wchar_t* hay, const wchar_t* needle);
wchar_t* wdup(const wchar_t* s); // heap_alloc'd copy ("" for null)
// Finds `key` in `s` and reads the decimal number after it; -1 when absent.
long wnumber_after(const wchar_t* s, const wchar_t* key);

// ---- console output ------------------------------------------------------------------------------
// put() appends to the current line; end_line() writes it to stdout.
void put(const char* s);
void put(const wchar_t* s); // as UTF-8
void put(int v);
void put(long v);
void put(unsigned v);
void put(unsigned long v);
void put(unsigned long long v); // size_t on x64; hex when it does not fit 32 bits
void put(bool v);
void end_line();

template <class... A>
void say(A... parts) {
    (put(parts), ...);
    end_line();
}

// ---- a growable array of trivially copyable values -----------------------------------------------
template <class T>
struct Vec {
    T* items = nullptr;
    unsigned len = 0, cap = 0;
    void push(const T& v) {
        if (len == cap) {
            unsigned ncap = cap ? cap * 2 : 16;
            T* n = (T*)heap_alloc(ncap * sizeof(T));
            for (unsigned i = 0; i < len; ++i) n[i] = items[i];
            heap_free(items);
            items = n;
            cap = ncap;
        }
        items[len++] = v;
    }
    T& operator[](unsigned i) { return items[i]; }
};

// The whole of a (small) file, heap_alloc'd; its length in `*n`. Null when it cannot be read.
unsigned char* read_file(const wchar_t* path, unsigned long* n);

// The command line, split as the Windows C runtime splits it (quotes group, no escapes needed
// for the paths and URLs the scripts pass).
Vec<wchar_t*> command_line_args();
