// The platform side of the host, as 1C's own C++ implements it: the memory manager that the add-in
// allocates its answers from (here every block is checked), and one IAddInDefBaseEx per object
// (AddError, the event buffer depth, ExternalEvent, and GetInterface handing out IPlatformInfo,
// IAttachedInfo and IMsgBox by a plain implicit up-cast to IInterface*, which under MSVC points
// one pointer past each object's start).
#pragma once

#include "freestanding.h"

// Every block the add-in gets from AllocMemory, or the host allocates for it, is remembered;
// FreeMemory of anything else, a double free, or bytes written past a block's end is a violation.
class Memory final : public IMemoryManager {
public:
    bool ADDIN_API AllocMemory(void** pMemory, unsigned long ulCountByte) override;
    void ADDIN_API FreeMemory(void** pMemory) override;

    void* alloc(size_t bytes); // what AllocMemory does, for the host's own strings
    void release(void* p);     // what FreeMemory does
    unsigned live();
    unsigned violations();

private:
    Lock lock_;
    Vec<void*> live_;
    unsigned violations_ = 0;
};

Memory& memory();

// One event as 1C would see it in ВнешнееСобытие (or as GetEvent returned it).
struct Event {
    wchar_t* source;
    wchar_t* message;
    wchar_t* data;
    bool pulled; // came through GetEvent
};

class Platform;

class PlatformInfo final : public IPlatformInfo {
public:
    // The first data word: an add-in that forgets MSVC's IInterface offset reads this pointer as
    // its vtable and calls into the text "8.3.": the crash this host exists to show.
    AppInfo info;
    const AppInfo* ADDIN_API GetPlatformInfo() override { return &info; }
};

class AttachedInfo final : public IAttachedInfo {
public:
    AttachedType type = eAttachedNotIsolated;
    AttachedType ADDIN_API GetAttachedInfo() override { return type; }
};

class MsgBox final : public IMsgBox {
public:
    bool ADDIN_API Confirm(const WCHAR_T*, tVariant* ret) override;
    bool ADDIN_API Alert(const WCHAR_T*) override { return true; }
};

class Platform final : public IAddInDefBaseEx {
public:
    explicit Platform(IPlatformInfo::AppType app);

    bool ADDIN_API AddError(unsigned short wcode, const WCHAR_T* source, const WCHAR_T* descr, long scode) override;
    bool ADDIN_API Read(WCHAR_T*, tVariant*, long*, WCHAR_T**) override { return false; }
    bool ADDIN_API Write(WCHAR_T*, tVariant*) override { return false; }
    bool ADDIN_API RegisterProfileAs(WCHAR_T*) override { return false; }
    bool ADDIN_API SetEventBufferDepth(long depth) override;
    long ADDIN_API GetEventBufferDepth() override { return depth_; }
    bool ADDIN_API ExternalEvent(WCHAR_T* source, WCHAR_T* message, WCHAR_T* data) override;
    void ADDIN_API CleanEventBuffer() override {}
    bool ADDIN_API SetStatusLine(WCHAR_T*) override { return true; }
    void ADDIN_API ResetStatusLine() override {}
    IInterface* ADDIN_API GetInterface(Interfaces iface) override;

    // The host's side.
    void keep(const wchar_t* source, const wchar_t* message, const wchar_t* data, bool pulled);
    // The first event at or after `from` whose message contains `needle`: its index, or -1.
    int find(const wchar_t* needle, int from);
    Event event(int i); // a copy of the pointers; events are never removed
    int count();
    void mark_dead();   // Done has returned: an ExternalEvent from now on is a violation
    void dump();

    IPlatformInfo::AppType app;
    int errors = 0;
    int external = 0;
    int pulled = 0;
    int late_events = 0;
    int wrong_thread = 0; // platform calls other than ExternalEvent made off the 1C thread

private:
    void on_1c_thread();

    Lock lock_;
    Vec<Event> events_;
    long depth_ = 1;
    bool dead_ = false;
    unsigned thread_1c_;
    PlatformInfo info_;
    AttachedInfo attached_;
    MsgBox msgbox_;
};
