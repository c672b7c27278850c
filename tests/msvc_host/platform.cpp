// The platform side of the host: see platform.h.
#include "platform.h"

namespace {
// Blocks carry a trailing canary; writing past the end of a block is caught when it is freed.
const uint32_t CANARY = 0x1C1CA110u;
struct Header {
    size_t size;
    size_t pad; // keeps the caller's bytes 8- or 16-aligned as HeapAlloc's are
};
Memory* g_memory;
} // namespace

Memory& memory() {
    if (g_memory == nullptr) g_memory = new Memory(); // no static constructors run here
    return *g_memory;
}

void* Memory::alloc(size_t bytes) {
    Header* h = (Header*)heap_alloc(sizeof(Header) + bytes + sizeof CANARY);
    h->size = bytes;
    unsigned char* user = (unsigned char*)(h + 1);
    memcpy(user + bytes, &CANARY, sizeof CANARY);
    Guard g(lock_);
    live_.push(user);
    return user;
}

void Memory::release(void* p) {
    if (p == nullptr) return;
    Guard g(lock_);
    for (unsigned i = 0; i < live_.len; ++i) {
        if (live_[i] != p) continue;
        live_[i] = live_[live_.len - 1];
        --live_.len;
        Header* h = (Header*)p - 1;
        uint32_t tail;
        memcpy(&tail, (unsigned char*)p + h->size, sizeof tail);
        if (tail != CANARY) {
            ++violations_;
            say("VIOLATION bytes written past the end of a block of ", h->size);
        }
        heap_free(h);
        return;
    }
    ++violations_;
    say("VIOLATION FreeMemory of a block that is not live (never allocated, or freed twice)");
}

unsigned Memory::live() {
    Guard g(lock_);
    return live_.len;
}

unsigned Memory::violations() {
    Guard g(lock_);
    return violations_;
}

bool ADDIN_API Memory::AllocMemory(void** pMemory, unsigned long ulCountByte) {
    *pMemory = alloc(ulCountByte);
    return true;
}

void ADDIN_API Memory::FreeMemory(void** pMemory) {
    release(*pMemory);
    *pMemory = nullptr;
}

bool ADDIN_API MsgBox::Confirm(const WCHAR_T*, tVariant* ret) {
    ret->bVal = true;
    ret->vt = VTYPE_BOOL;
    return true;
}

Platform::Platform(IPlatformInfo::AppType type) : app(type), thread_1c_(GetCurrentThreadId()) {
    info_.info.AppVersion = L"8.3.25.1000";
    info_.info.UserAgentInformation = L"socketio1c MSVC-ABI host";
    info_.info.Application = type;
}

void Platform::on_1c_thread() {
    if (GetCurrentThreadId() != thread_1c_) ++wrong_thread;
}

bool ADDIN_API Platform::AddError(unsigned short, const WCHAR_T*, const WCHAR_T*, long) {
    on_1c_thread();
    ++errors;
    return true;
}

bool ADDIN_API Platform::SetEventBufferDepth(long depth) {
    on_1c_thread();
    depth_ = depth;
    return true;
}

bool ADDIN_API Platform::ExternalEvent(WCHAR_T* source, WCHAR_T* message, WCHAR_T* data) {
    {
        Guard g(lock_);
        if (dead_) {
            ++late_events;
            return false;
        }
        ++external;
    }
    keep(source, message, data, false);
    return true;
}

IInterface* ADDIN_API Platform::GetInterface(Interfaces iface) {
    on_1c_thread();
    // Plain implicit up-casts, as the platform's own C++ returns them.
    switch (iface) {
    case eIPlatformInfo: return &info_;
    case eIAttachedInfo: return &attached_;
    case eIMsgBox: return &msgbox_;
    }
    return nullptr;
}

void Platform::keep(const wchar_t* source, const wchar_t* message, const wchar_t* data, bool was_pulled) {
    Event e = {wdup(source), wdup(message), wdup(data), was_pulled};
    Guard g(lock_);
    events_.push(e);
    if (was_pulled) ++pulled;
}

int Platform::find(const wchar_t* needle, int from) {
    Guard g(lock_);
    for (unsigned i = from < 0 ? 0 : (unsigned)from; i < events_.len; ++i)
        if (wcontains(events_[i].message, needle)) return (int)i;
    return -1;
}

Event Platform::event(int i) {
    Guard g(lock_);
    return events_[(unsigned)i];
}

int Platform::count() {
    Guard g(lock_);
    return (int)events_.len;
}

void Platform::mark_dead() {
    Guard g(lock_);
    dead_ = true;
}

void Platform::dump() {
    int n = count();
    for (int i = 0; i < n && i < 40; ++i) {
        Event e = event(i);
        say("     event ", i, e.pulled ? " (GetEvent): " : ": ", e.message, " | ", e.data);
    }
}
