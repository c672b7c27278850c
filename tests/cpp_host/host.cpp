// A minimal 1C:Enterprise host in C++: loads the add-in with dlopen and drives it through the
// vtables g++ builds from ../native_api/addin.h, as 1C (and OneScript) do on Linux.
//
//   g++ -std=c++17 -O1 -g -Wall -Wextra -Werror -o host tests/cpp_host/host.cpp -ldl -lpthread
//   ./host target/debug/libsocketio1c.so                      # smoke scenario
//   ./host target/debug/libsocketio1c.so ws://127.0.0.1:3000/ # plus a live connection
//   ./host LIB [URL] --keep-going                             # report every check, not just the first failure
//   ./host libmock_addin.so --arm double-free                 # self-test: the mock breaks the contract
//
// One line per check ("ok   ..." or "FAIL ..."); exits 1 at the first failure (or at the end
// with --keep-going), 0 after "ALL OK". Every allocation is tracked, so that a run under
// valgrind is clean when the add-in is.

#include "../native_api/addin.h"

#include <dlfcn.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

// Sizes and offsets: static_asserts in ../native_api/addin.h.

// ---- reporting -----------------------------------------------------------------------------

static bool g_keep_going = false;
static int g_failures = 0;

static void check(bool ok, const std::string& what) {
    std::printf("%s %s\n", ok ? "ok  " : "FAIL", what.c_str());
    std::fflush(stdout);
    if (!ok) {
        ++g_failures;
        if (!g_keep_going) std::exit(1);
    }
}

// A check the rest of the run depends on: fatal even with --keep-going.
static void require(bool ok, const std::string& what) {
    bool keep = g_keep_going;
    g_keep_going = false;
    check(ok, what);
    g_keep_going = keep;
}

static std::mutex g_violations_mu;
static std::vector<std::string> g_violations;

static void violation(const std::string& what) {
    std::lock_guard<std::mutex> lock(g_violations_mu);
    std::fprintf(stderr, "VIOLATION %s\n", what.c_str());
    g_violations.push_back(what);
}

static size_t violation_count() {
    std::lock_guard<std::mutex> lock(g_violations_mu);
    return g_violations.size();
}

// ---- UTF-16 helpers ------------------------------------------------------------------------

static std::string utf8(const std::u16string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        uint32_t c = s[i];
        if (c >= 0xD800 && c < 0xDC00 && i + 1 < s.size() && s[i + 1] >= 0xDC00 && s[i + 1] < 0xE000) {
            c = 0x10000 + ((c - 0xD800) << 10) + (s[i + 1] - 0xDC00);
            ++i;
        } else if (c >= 0xD800 && c < 0xE000) {
            c = 0xFFFD;
        }
        if (c < 0x80) {
            out += char(c);
        } else if (c < 0x800) {
            out += char(0xC0 | (c >> 6));
            out += char(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            out += char(0xE0 | (c >> 12));
            out += char(0x80 | ((c >> 6) & 0x3F));
            out += char(0x80 | (c & 0x3F));
        } else {
            out += char(0xF0 | (c >> 18));
            out += char(0x80 | ((c >> 12) & 0x3F));
            out += char(0x80 | ((c >> 6) & 0x3F));
            out += char(0x80 | (c & 0x3F));
        }
    }
    return out;
}

// UTF-8 to UTF-16 (for command-line arguments); invalid bytes become U+FFFD.
static std::u16string utf16(const std::string& s) {
    std::u16string out;
    for (size_t i = 0; i < s.size();) {
        unsigned char b = s[i];
        uint32_t c = 0xFFFD;
        size_t n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
        if (n == 0 || i + n > s.size()) {
            ++i;
        } else {
            c = n == 1 ? b : n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
            for (size_t k = 1; k < n; ++k) c = (c << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
            i += n;
        }
        if (c >= 0x10000) {
            c -= 0x10000;
            out += char16_t(0xD800 + (c >> 10));
            out += char16_t(0xDC00 + (c & 0x3FF));
        } else {
            out += char16_t(c);
        }
    }
    return out;
}

static std::u16string copy_cstr(const WCHAR_T* p) {
    std::u16string out;
    if (p == nullptr) return out;
    for (size_t i = 0; p[i] != 0; ++i) out += p[i];
    return out;
}

// ---- IMemoryManager ------------------------------------------------------------------------

// Every block: 32-byte header (magic, size, magic, pad), the user bytes, an 8-byte tail magic.
// Registered in a map; frees of unknown, freed or overwritten blocks are violations.
class HostMemory : public IMemoryManager {
public:
    static constexpr uint64_t kHead = 0x1C1CA110C8EDB10CULL;
    static constexpr uint64_t kTail = 0xFEEDFACE0DDB10C5ULL;
    static constexpr size_t kHeader = 32;

    bool AllocMemory(void** pMemory, unsigned long ulCountByte) override {
        if (pMemory == nullptr) {
            violation("AllocMemory with a null out pointer");
            return false;
        }
        *pMemory = allocate(ulCountByte, false);
        return *pMemory != nullptr;
    }

    void FreeMemory(void** pMemory) override {
        if (pMemory == nullptr) {
            violation("FreeMemory with a null pointer-to-pointer");
            return;
        }
        release(*pMemory, "FreeMemory");
        *pMemory = nullptr;
    }

    void* allocate(size_t n, bool by_host) {
        if (n > (size_t(1) << 30)) return nullptr;
        char* base = static_cast<char*>(std::malloc(kHeader + n + 8));
        if (base == nullptr) return nullptr;
        uint64_t head[4] = {kHead, uint64_t(n), kHead, 0};
        std::memcpy(base, head, sizeof head);
        std::memset(base + kHeader, 0xA5, n);
        std::memcpy(base + kHeader + n, &kTail, 8);
        void* user = base + kHeader;
        std::lock_guard<std::mutex> lock(mu_);
        freed_.erase(user);
        live_[user] = Block{n, by_host};
        ++allocations_;
        return user;
    }

    // Frees a registered block; returns false (and records why) for anything else.
    bool release(void* user, const char* what) {
        if (user == nullptr) return true;
        Block block;
        {
            std::lock_guard<std::mutex> lock(mu_);
            auto it = live_.find(user);
            if (it == live_.end()) {
                bool twice = freed_.count(user) != 0;
                violation(std::string(what) + (twice ? ": double free" : ": free of a pointer AllocMemory never returned"));
                return false;
            }
            block = it->second;
            live_.erase(it);
            freed_.insert(user);
        }
        char* base = static_cast<char*>(user) - kHeader;
        uint64_t head[4];
        uint64_t tail;
        std::memcpy(head, base, sizeof head);
        std::memcpy(&tail, base + kHeader + block.size, 8);
        if (head[0] != kHead || head[1] != block.size || head[2] != kHead || tail != kTail) {
            violation(std::string(what) + ": block overwritten (canary broken)");
        }
        std::free(base);
        return true;
    }

    // Size of the live block at `p`, or -1.
    long long block_size(const void* p) {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = live_.find(const_cast<void*>(p));
        return it == live_.end() ? -1 : static_cast<long long>(it->second.size);
    }

    size_t live() {
        std::lock_guard<std::mutex> lock(mu_);
        return live_.size();
    }

    size_t allocations() {
        std::lock_guard<std::mutex> lock(mu_);
        return allocations_;
    }

private:
    struct Block {
        size_t size;
        bool by_host;
    };
    std::mutex mu_;
    std::unordered_map<void*, Block> live_;
    std::unordered_set<void*> freed_;
    size_t allocations_ = 0;
};

// ---- IPlatformInfo, IMsgBox, IAttachedInfo ---------------------------------------------------

class HostPlatformInfo : public IPlatformInfo {
public:
    explicit HostPlatformInfo(IPlatformInfo::AppType type) {
        info_.AppVersion = u"8.3.25.1000";
        info_.UserAgentInformation = u"socketio1c cpp_host";
        info_.Application = type;
    }
    const IPlatformInfo::AppInfo* GetPlatformInfo() override { return &info_; }

private:
    IPlatformInfo::AppInfo info_;
};

class HostMsgBox : public IMsgBox {
public:
    bool Confirm(const WCHAR_T*, tVariant* retVal) override {
        if (retVal != nullptr) {
            retVal->bVal = true;
            retVal->vt = VTYPE_BOOL;
        }
        return true;
    }
    bool Alert(const WCHAR_T*) override { return true; }
};

class HostAttachedInfo : public IAttachedInfo {
public:
    IAttachedInfo::AttachedType GetAttachedInfo() override { return IAttachedInfo::eAttachedNotIsolated; }
};

// ---- IAddInDefBaseEx with 1C's event queue ---------------------------------------------------

struct Event {
    std::u16string source, message, data;
};

class HostConnection : public IAddInDefBaseEx {
public:
    explicit HostConnection(int id) : id_(id), platform_info_(IPlatformInfo::eAppThinClient) {}

    bool AddError(unsigned short, const WCHAR_T* source, const WCHAR_T* descr, long scode) override {
        if (source == nullptr || descr == nullptr) violation("AddError with a null string");
        std::lock_guard<std::mutex> lock(mu_);
        errors_.push_back(copy_cstr(descr));
        if (scode != 0) ++raised_;
        return true;
    }
    bool Read(WCHAR_T*, tVariant*, long*, WCHAR_T**) override { return false; }
    bool Write(WCHAR_T*, tVariant*) override { return true; }
    bool RegisterProfileAs(WCHAR_T*) override { return true; }
    bool SetEventBufferDepth(long depth) override {
        if (depth < 1) return false;
        std::lock_guard<std::mutex> lock(mu_);
        depth_ = size_t(depth);
        while (queue_.size() > depth_) {
            queue_.pop_back();
            ++dropped_;
        }
        return true;
    }
    long GetEventBufferDepth() override {
        std::lock_guard<std::mutex> lock(mu_);
        return long(depth_);
    }
    bool ExternalEvent(WCHAR_T* source, WCHAR_T* message, WCHAR_T* data) override {
        if (source == nullptr || message == nullptr || data == nullptr) {
            violation("ExternalEvent with a null string");
            return false;
        }
        Event ev{copy_cstr(source), copy_cstr(message), copy_cstr(data)};
        {
            std::lock_guard<std::mutex> lock(mu_);
            if (dead_) {
                violation("object #" + std::to_string(id_) + ": ExternalEvent after Done: " + utf8(ev.message));
                return false;
            }
            if (queue_.size() >= depth_) {
                ++dropped_;
                return true;
            }
            queue_.push_back(std::move(ev));
        }
        cv_.notify_all();
        return true;
    }
    void CleanEventBuffer() override {
        std::lock_guard<std::mutex> lock(mu_);
        queue_.clear();
    }
    bool SetStatusLine(WCHAR_T*) override { return true; }
    void ResetStatusLine() override {}
    IInterface* GetInterface(Interfaces iface) override {
        switch (iface) {
            case eIMsgBox: return &msg_box_;
            case eIPlatformInfo: return &platform_info_;
            case eIAttachedInfo: return &attached_info_;
        }
        return nullptr;
    }

    // Waits (condvar, no polling) for an event whose message contains `needle`; earlier
    // events are taken off the queue and printed.
    bool wait_event(const std::u16string& needle, std::chrono::milliseconds timeout, Event* out) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        std::unique_lock<std::mutex> lock(mu_);
        for (;;) {
            while (!queue_.empty()) {
                Event ev = std::move(queue_.front());
                queue_.pop_front();
                std::printf("     event %s | %s | %s\n", utf8(ev.source).c_str(), utf8(ev.message).c_str(),
                            utf8(ev.data).c_str());
                if (ev.message.find(needle) != std::u16string::npos) {
                    *out = std::move(ev);
                    return true;
                }
            }
            if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && queue_.empty()) return false;
        }
    }

    // After Done: events from now on are violations.
    void kill() {
        std::lock_guard<std::mutex> lock(mu_);
        dead_ = true;
        queue_.clear();
    }

    size_t error_count() {
        std::lock_guard<std::mutex> lock(mu_);
        return errors_.size();
    }
    std::u16string last_error() {
        std::lock_guard<std::mutex> lock(mu_);
        return errors_.empty() ? std::u16string() : errors_.back();
    }
    size_t depth() {
        std::lock_guard<std::mutex> lock(mu_);
        return depth_;
    }

private:
    int id_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Event> queue_;
    size_t depth_ = 1;
    size_t dropped_ = 0;
    bool dead_ = false;
    std::vector<std::u16string> errors_;
    size_t raised_ = 0;
    HostPlatformInfo platform_info_;
    HostMsgBox msg_box_;
    HostAttachedInfo attached_info_;
};

// ---- the scenario ----------------------------------------------------------------------------

static HostMemory g_mem;
static GetClassObjectFn g_get_class_object;
static DestroyObjectFn g_destroy_object;
// Connections outlive their objects (until after dlclose) so that a late ExternalEvent is
// caught as a violation rather than being a use-after-free.
static std::vector<std::unique_ptr<HostConnection>> g_connections;

// Reads a string the add-in returned by pointer (RegisterExtensionAs, Get*Name), checks it is
// an AllocMemory block with a NUL inside, frees it.
static std::u16string take_name(const WCHAR_T* p, const char* what) {
    if (p == nullptr) return std::u16string();
    long long size = g_mem.block_size(p);
    std::u16string s;
    if (size < 0) {
        violation(std::string(what) + ": string not allocated with AllocMemory");
        return copy_cstr(p);
    }
    size_t units = size_t(size) / 2;
    size_t n = 0;
    while (n < units && p[n] != 0) ++n;
    if (n == units) violation(std::string(what) + ": no NUL inside the block");
    s.assign(p, n);
    g_mem.release(const_cast<WCHAR_T*>(p), what);
    return s;
}

// Checks the PWSTR contract of a returned tVariant (AllocMemory block, NUL at wstrLen, wstrLen
// without the NUL) and reads the string.
static bool read_pwstr(const tVariant& v, std::u16string* out, const char* what) {
    if (v.vt != VTYPE_PWSTR) {
        std::printf("     %s: vt %d, expected VTYPE_PWSTR\n", what, int(v.vt));
        return false;
    }
    long long size = g_mem.block_size(v.pwstrVal);
    if (v.pwstrVal == nullptr || size < 0) {
        violation(std::string(what) + ": pwstrVal is not an AllocMemory block");
        return false;
    }
    if (size_t(size) < (size_t(v.wstrLen) + 1) * 2) {
        violation(std::string(what) + ": block too small for wstrLen + NUL");
        return false;
    }
    bool ok = true;
    if (v.pwstrVal[v.wstrLen] != 0) {
        violation(std::string(what) + ": no NUL at index wstrLen");
        ok = false;
    }
    if (v.wstrLen > 0 && v.pwstrVal[v.wstrLen - 1] == 0) {
        violation(std::string(what) + ": wstrLen counts the NUL");
        ok = false;
    }
    out->assign(v.pwstrVal, v.wstrLen);
    return ok;
}

// Frees what 1C frees after a call: strings and blobs left in a tVariant.
static void clear_variant(tVariant& v, const char* what) {
    if ((v.vt == VTYPE_PWSTR || v.vt == VTYPE_BLOB) && v.pstrVal != nullptr) g_mem.release(v.pstrVal, what);
    std::memset(&v, 0, sizeof v);
}

static void set_string(tVariant& v, const std::u16string& s) {
    std::memset(&v, 0, sizeof v);
    auto* p = static_cast<WCHAR_T*>(g_mem.allocate((s.size() + 1) * 2, true));
    std::memcpy(p, s.data(), s.size() * 2);
    p[s.size()] = 0;
    v.pwstrVal = p;
    v.wstrLen = uint32_t(s.size());
    v.vt = VTYPE_PWSTR;
}

struct Object {
    IComponentBase* comp = nullptr;
    HostConnection* conn = nullptr;
};

static Object create_object(const char* label) {
    Object o;
    g_connections.push_back(std::make_unique<HostConnection>(int(g_connections.size()) + 1));
    o.conn = g_connections.back().get();
    long created = g_get_class_object(u"Client", &o.comp);
    require(created != 0 && o.comp != nullptr, std::string(label) + ": GetClassObject(\"Client\") creates an object");
    require(o.comp->setMemManager(static_cast<IMemoryManager*>(&g_mem)), std::string(label) + ": setMemManager returns true");
    require(o.comp->Init(static_cast<IAddInDefBase*>(o.conn)), std::string(label) + ": Init returns true");
    long info = o.comp->GetInfo();
    check(info > 0, std::string(label) + ": GetInfo = " + std::to_string(info));
    o.comp->SetLocale(u"ru_RU");
    o.comp->SetUserInterfaceLanguageCode(u"ru");
    WCHAR_T* ext = nullptr;
    bool ok = o.comp->RegisterExtensionAs(&ext);
    std::u16string name = take_name(ext, "RegisterExtensionAs");
    check(ok && name == u"Client", std::string(label) + ": RegisterExtensionAs = \"" + utf8(name) + "\"");
    return o;
}

static bool get_string(Object& o, long prop, std::u16string* out, const char* what) {
    tVariant v;
    std::memset(&v, 0, sizeof v);
    bool ok = o.comp->GetPropVal(prop, &v);
    bool good = ok && read_pwstr(v, out, what);
    clear_variant(v, what);
    return good;
}

static bool set_string_prop(Object& o, long prop, const std::u16string& s) {
    tVariant v;
    set_string(v, s);
    WCHAR_T* mine = v.pwstrVal;
    bool ok = o.comp->SetPropVal(prop, &v);
    if (v.pwstrVal != mine || v.vt != VTYPE_PWSTR) violation("SetPropVal changed its argument");
    g_mem.release(mine, "host freeing the SetPropVal argument");
    return ok;
}

// CallAsProc/CallAsFunc with string arguments; frees everything left in the parameters.
static bool call_strings(Object& o, long method, const std::vector<std::u16string>& args) {
    long n = o.comp->GetNParams(method);
    std::vector<tVariant> params(size_t(n > 0 ? n : 0));
    for (auto& p : params) std::memset(&p, 0, sizeof p);
    for (size_t i = 0; i < params.size(); ++i) {
        if (i < args.size()) {
            set_string(params[i], args[i]);
        } else if (!o.comp->GetParamDefValue(method, long(i), &params[i])) {
            violation("missing argument without a default");
        }
    }
    tVariant ret;
    std::memset(&ret, 0, sizeof ret);
    tVariant* data = params.empty() ? nullptr : params.data();
    bool ok = o.comp->HasRetVal(method) ? o.comp->CallAsFunc(method, &ret, data, n) : o.comp->CallAsProc(method, data, n);
    for (auto& p : params) clear_variant(p, "host freeing a parameter");
    clear_variant(ret, "host freeing a return value");
    return ok;
}

static void destroy_object(Object& o, const char* label) {
    o.comp->Done();
    o.conn->kill();
    long r = g_destroy_object(&o.comp);
    check(o.comp == nullptr, std::string(label) + ": Done + DestroyObject (returned " + std::to_string(r) + ") clears the pointer");
}

int main(int argc, char** argv) {
    const char* lib_path = nullptr;
    const char* url = nullptr;
    const char* arm = nullptr;  // tests/cpp_host/mock_addin.cpp only: Misbehave(arm) on object 1
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--keep-going") == 0) {
            g_keep_going = true;
        } else if (std::strcmp(argv[i], "--arm") == 0 && i + 1 < argc) {
            arm = argv[++i];
        } else if (lib_path == nullptr) {
            lib_path = argv[i];
        } else {
            url = argv[i];
        }
    }
    if (lib_path == nullptr) {
        std::fprintf(stderr, "usage: %s path/to/libsocketio1c.so [ws://host:port/] [--keep-going] [--arm KIND]\n",
                     argv[0]);
        return 2;
    }

    void* lib = dlopen(lib_path, RTLD_NOW | RTLD_LOCAL);
    require(lib != nullptr, std::string("dlopen ") + lib_path + (lib ? "" : std::string(": ") + dlerror()));
    g_get_class_object = reinterpret_cast<GetClassObjectFn>(dlsym(lib, "GetClassObject"));
    g_destroy_object = reinterpret_cast<DestroyObjectFn>(dlsym(lib, "DestroyObject"));
    auto get_class_names = reinterpret_cast<GetClassNamesFn>(dlsym(lib, "GetClassNames"));
    require(g_get_class_object && g_destroy_object && get_class_names, "exports GetClassObject, DestroyObject, GetClassNames");
    if (auto set_caps = reinterpret_cast<SetPlatformCapabilitiesFn>(dlsym(lib, "SetPlatformCapabilities"))) {
        AppCapabilities caps = set_caps(eAppCapabilities3);
        check(caps == eAppCapabilities3, "SetPlatformCapabilities(3) = " + std::to_string(int(caps)));
    }
    if (auto attach = reinterpret_cast<GetAttachTypeFn>(dlsym(lib, "GetAttachType"))) {
        AttachType t = attach();
        check(t >= eCanAttachNotIsolated && t <= eCanAttachAny, "GetAttachType = " + std::to_string(int(t)));
    }
    std::u16string names = copy_cstr(get_class_names());
    bool has_client = false;
    for (size_t start = 0; start <= names.size();) {
        size_t bar = names.find(u'|', start);
        if (bar == std::u16string::npos) bar = names.size();
        if (names.compare(start, bar - start, u"Client") == 0) has_client = true;
        start = bar + 1;
    }
    check(has_client, "GetClassNames = \"" + utf8(names) + "\" contains Client");

    // ---- object 1: members, then Done + DestroyObject ----
    Object a = create_object("object 1");
    if (arm != nullptr) {
        long misbehave = a.comp->FindMethod(u"Misbehave");
        require(misbehave >= 0 && call_strings(a, misbehave, {utf16(arm)}), std::string("armed the mock: ") + arm);
    }
    check(a.conn->depth() >= 1, "object 1: event buffer depth after Init = " + std::to_string(a.conn->depth()));
    long nprops = a.comp->GetNProps();
    long nmethods = a.comp->GetNMethods();
    check(nprops > 0 && nmethods > 0, "GetNProps = " + std::to_string(nprops) + ", GetNMethods = " + std::to_string(nmethods));

    long version = a.comp->FindProp(u"version");
    long version_ru = a.comp->FindProp(u"ВЕРСИЯ");
    check(version >= 0 && version == version_ru,
          "FindProp(\"version\") = " + std::to_string(version) + " = FindProp(\"ВЕРСИЯ\") = " + std::to_string(version_ru));
    if (version >= 0) {
        std::u16string en = take_name(a.comp->GetPropName(version, 0), "GetPropName");
        std::u16string ru = take_name(a.comp->GetPropName(version, 1), "GetPropName");
        check(en == u"Version" && ru == u"Версия", "GetPropName(Version, 0/1) = " + utf8(en) + " / " + utf8(ru));
    }
    check(a.comp->FindProp(u"NoSuchProperty") == -1, "FindProp(\"NoSuchProperty\") = -1");

    std::u16string s;
    bool ok = version >= 0 && a.comp->IsPropReadable(version) && get_string(a, version, &s, "GetPropVal(Version)");
    check(ok && !s.empty(), "GetPropVal(Version) = \"" + utf8(s) + "\" (PWSTR, wstrLen " + std::to_string(s.size()) + ")");

    long timeout = a.comp->FindProp(u"Таймаут");
    check(timeout >= 0 && a.comp->IsPropWritable(timeout), "FindProp(\"Таймаут\") is writable");
    ok = timeout >= 0 && set_string_prop(a, timeout, u"7");
    check(ok, "SetPropVal(Timeout, \"7\")");
    s.clear();
    ok = timeout >= 0 && get_string(a, timeout, &s, "GetPropVal(Timeout)");
    check(ok && s == u"7", "GetPropVal(Timeout) = \"" + utf8(s) + "\"");

    long source = a.comp->FindProp(u"EventSource");
    ok = source >= 0 && set_string_prop(a, source, u"cpp-host");
    check(ok, "SetPropVal(EventSource, \"cpp-host\")");
    s.clear();
    ok = source >= 0 && get_string(a, source, &s, "GetPropVal(EventSource)");
    check(ok && s == u"cpp-host", "GetPropVal(EventSource) = \"" + utf8(s) + "\"");

    long on = a.comp->FindMethod(u"подписаться");
    check(on >= 0 && on == a.comp->FindMethod(u"ON"), "FindMethod(\"подписаться\") = FindMethod(\"ON\") = " + std::to_string(on));
    if (on >= 0) {
        std::u16string en = take_name(a.comp->GetMethodName(on, 0), "GetMethodName");
        std::u16string ru = take_name(a.comp->GetMethodName(on, 1), "GetMethodName");
        check(en == u"On" && ru == u"Подписаться", "GetMethodName(On, 0/1) = " + utf8(en) + " / " + utf8(ru));
        check(a.comp->GetNParams(on) == 1 && !a.comp->HasRetVal(on), "On: GetNParams = 1, HasRetVal = false");
        check(call_strings(a, on, {u"news"}), "CallAsProc(On, \"news\")");
    }
    check(a.comp->FindMethod(u"NoSuchMethod") == -1, "FindMethod(\"NoSuchMethod\") = -1");

    long connect = a.comp->FindMethod(u"Connect");
    check(connect >= 0 && a.comp->GetNParams(connect) == 1, "FindMethod(\"Connect\") takes 1 parameter");
    if (connect >= 0) {
        size_t errors_before = a.conn->error_count();
        tVariant arg;
        std::memset(&arg, 0, sizeof arg);
        arg.vt = VTYPE_BOOL;
        arg.bVal = true;
        bool called = a.comp->CallAsProc(connect, &arg, 1);
        clear_variant(arg, "host freeing a parameter");
        bool reported = a.conn->error_count() > errors_before && !a.conn->last_error().empty();
        check(!called && reported, "CallAsProc(Connect, True) returns false and calls AddError: \"" + utf8(a.conn->last_error()) + "\"");
    }
    destroy_object(a, "object 1");

    // ---- object 2: the OneScript teardown, Done + delete through the virtual destructor ----
    Object b = create_object("object 2");
    b.comp->Done();
    b.conn->kill();
    delete b.comp;
    b.comp = nullptr;
    check(true, "object 2: Done + delete through the virtual deleting destructor");

    // ---- object 3 (optional): a live connection ----
    if (url != nullptr) {
        Object c = create_object("object 3");
        // Generous: under valgrind a debug build runs tens of times slower than natively.
        const auto live_wait = std::chrono::seconds(60);
        long timeout = c.comp->FindProp(u"Timeout");
        check(timeout >= 0 && set_string_prop(c, timeout, u"60"), "SetPropVal(Timeout, \"60\")");
        long m_connect = c.comp->FindMethod(u"Подключиться");
        check(call_strings(c, m_connect, {utf16(url)}), std::string("Connect(\"") + url + "\")");
        Event ev;
        bool open = c.conn->wait_event(u"\"State\": \"Open\"", live_wait, &ev);
        check(open, "an Open event within 60 s");
        check(call_strings(c, c.comp->FindMethod(u"Send"), {u"echo", u"hi"}), "Send(\"echo\", \"hi\")");
        check(call_strings(c, c.comp->FindMethod(u"Disconnect"), {}), "Disconnect()");
        bool closed = c.conn->wait_event(u"\"State\": \"Close\"", live_wait, &ev);
        check(closed, "a Close event within 60 s");
        destroy_object(c, "object 3");
    }

    // Late events from threads that outlive Done would show up now.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    size_t live = g_mem.live();
    check(live == 0, "memory: " + std::to_string(g_mem.allocations()) + " allocations, " + std::to_string(live) + " live");
    check(violation_count() == 0, "no contract violations (" + std::to_string(violation_count()) + ")");
    check(dlclose(lib) == 0, "dlclose");
    g_connections.clear();
    if (g_failures != 0) {
        std::printf("%d check(s) FAILED\n", g_failures);
        return 1;
    }
    std::printf("ALL OK\n");
    return 0;
}
