// A 1C:Enterprise host for Windows whose ABI a compiler lays out: C++ that clang compiles for the
// MSVC ABI (x86_64-pc-windows-msvc, i686-pc-windows-msvc), run under Wine. It loads the add-in as
// 1C does on Windows and drives it through the compiler-generated vtables (this-adjusting
// casts to each base, __stdcall methods on x86, MSVC's deleting destructors), with a platform
// side that behaves as 1C's own C++ (platform.h): SetPlatformCapabilities(3), GetInterface by
// plain up-cast, thin client and server AppTypes, a memory manager that checks every block.
//
// Build and run: .ci/package/msvc-host.sh (called by run-hosts.sh for win64 and win32).
//   host.exe LIB --ws URL --wss URL --ca CA.pem --ca-der CA.der --other-ca OTHER.pem
//            [--proxied URL] [--only NAME]
// Scenarios (NAME): abi, seed, acks, queue, ten, done-receiving, delete-bases, system-proxy,
// system-store, wss, reload. `--proxied`: a ws:// URL whose host only the proxy of the Windows
// Internet settings can reach (run-hosts.sh sets them with `wine reg add`).
// One line per check ("ok   ..." / "FAIL ..."), then "N passed, M failed", and "ALL OK" with exit
// code 0 when everything passed.
#include "platform.h"

namespace {

int g_passed, g_failed;

template <class... A>
bool check(bool ok, A... what) {
    put(ok ? "ok   " : "FAIL ");
    say(what...);
    ++(ok ? g_passed : g_failed);
    return ok;
}

// ---- the library -------------------------------------------------------------------------------

struct Library {
    void* module = nullptr;
    GetClassObjectFn get_class_object = nullptr;
    DestroyObjectFn destroy_object = nullptr;
    GetClassNamesFn get_class_names = nullptr;
    SetPlatformCapabilitiesFn set_capabilities = nullptr;
    GetAttachTypeFn get_attach_type = nullptr;
};

Library g_lib;
const wchar_t* g_lib_path;

bool load_library() {
    g_lib.module = LoadLibraryW(g_lib_path);
    if (g_lib.module == nullptr) return false;
    g_lib.get_class_object = (GetClassObjectFn)GetProcAddress(g_lib.module, "GetClassObject");
    g_lib.destroy_object = (DestroyObjectFn)GetProcAddress(g_lib.module, "DestroyObject");
    g_lib.get_class_names = (GetClassNamesFn)GetProcAddress(g_lib.module, "GetClassNames");
    g_lib.set_capabilities = (SetPlatformCapabilitiesFn)GetProcAddress(g_lib.module, "SetPlatformCapabilities");
    g_lib.get_attach_type = (GetAttachTypeFn)GetProcAddress(g_lib.module, "GetAttachType");
    return g_lib.get_class_object && g_lib.destroy_object && g_lib.get_class_names && g_lib.set_capabilities &&
           g_lib.get_attach_type;
}

// ---- tVariant helpers --------------------------------------------------------------------------

struct Num {
    long v;
};

void clear(tVariant& v) {
    if (v.vt == VTYPE_PWSTR || v.vt == VTYPE_BLOB || v.vt == VTYPE_PSTR) memory().release(v.pwstrVal);
    memset(&v, 0, sizeof v);
}

void set(tVariant& v, const wchar_t* s) {
    size_t n = wlen(s);
    memset(&v, 0, sizeof v);
    v.pwstrVal = (WCHAR_T*)memory().alloc((n + 1) * 2);
    memcpy(v.pwstrVal, s, (n + 1) * 2);
    v.wstrLen = (uint32_t)n;
    v.vt = VTYPE_PWSTR;
}

void set(tVariant& v, Num n) {
    memset(&v, 0, sizeof v);
    v.lVal = n.v;
    v.vt = VTYPE_I4;
}

void set(tVariant& v, bool b) {
    memset(&v, 0, sizeof v);
    v.bVal = b;
    v.vt = VTYPE_BOOL;
}

// A Number as the add-in returns it (I4 or R8), or -1.
long number(const tVariant& v) {
    if (v.vt == VTYPE_I4) return v.lVal;
    if (v.vt == VTYPE_R8 && v.dblVal >= 0 && v.dblVal < 2147483647.0) return (long)v.dblVal;
    return -1;
}

// A string the add-in handed over by pointer (AllocMemory): copied for the host, then freed as 1C
// frees it.
wchar_t* take(const WCHAR_T* p) {
    wchar_t* copy = wdup(p);
    memory().release((void*)p);
    return copy;
}

// ---- one add-in object, as 1C holds it ---------------------------------------------------------

struct Obj {
    IComponentBase* c = nullptr;
    Platform* p = nullptr;
};

Obj create(IPlatformInfo::AppType app) {
    Obj o;
    o.p = new Platform(app);
    long made = g_lib.get_class_object(L"Client", &o.c);
    if (made == 0 || o.c == nullptr) {
        check(false, "GetClassObject(\"Client\")");
        o.c = nullptr;
        return o;
    }
    // 1C's order: the memory manager, then Init with the IAddInDefBaseEx, then the locale.
    bool ok = o.c->setMemManager(&memory()) && o.c->Init(static_cast<IAddInDefBaseEx*>(o.p));
    ok = ok && o.c->GetInfo() >= 2000;
    o.c->SetLocale(L"ru_RU");
    o.c->SetUserInterfaceLanguageCode(L"ru");
    WCHAR_T* ext = nullptr;
    ok = ok && o.c->RegisterExtensionAs(&ext);
    wchar_t* name = take(ext);
    if (!ok || !weq(name, L"Client")) check(false, "setMemManager, Init, GetInfo, RegisterExtensionAs = ", name);
    heap_free(name);
    return o;
}

// Done, then the platform forgets the connection; then 1C's DestroyObject.
void done(Obj& o) {
    o.c->Done();
    o.p->mark_dead();
}

void destroy(Obj& o) {
    done(o);
    g_lib.destroy_object(&o.c);
    if (o.c != nullptr) check(false, "DestroyObject clears the caller's pointer");
}

// Calls method `name` with `args` (Strings, Num or bool); the parameters the call leaves out take
// the add-in's GetParamDefValue, as 1C fills them. `ret` (optional) receives the return value.
template <class... A>
bool call(Obj& o, const wchar_t* name, tVariant* ret, A... args) {
    long m = o.c->FindMethod(name);
    if (m < 0) return check(false, "FindMethod(", name, ")");
    long n = o.c->GetNParams(m);
    long given = (long)sizeof...(A);
    tVariant* params = (tVariant*)heap_alloc(sizeof(tVariant) * (unsigned)(n > given ? n : given) + 1);
    long i = 0;
    (set(params[i++], args), ...);
    for (; i < n; ++i)
        if (!o.c->GetParamDefValue(m, i, &params[i])) return check(false, "GetParamDefValue(", name, ", ", i, ")");
    tVariant r;
    memset(&r, 0, sizeof r);
    bool ok = o.c->HasRetVal(m) ? o.c->CallAsFunc(m, &r, params, n) : o.c->CallAsProc(m, params, n);
    for (i = 0; i < n; ++i) clear(params[i]);
    heap_free(params);
    if (ret != nullptr)
        *ret = r;
    else
        clear(r);
    return ok;
}

bool get_prop(Obj& o, const wchar_t* name, tVariant* out) {
    long p = o.c->FindProp(name);
    memset(out, 0, sizeof *out);
    return p >= 0 && o.c->IsPropReadable(p) && o.c->GetPropVal(p, out);
}

template <class V>
bool set_prop(Obj& o, const wchar_t* name, V value) {
    long p = o.c->FindProp(name);
    if (p < 0 || !o.c->IsPropWritable(p)) return false;
    tVariant v;
    set(v, value);
    bool ok = o.c->SetPropVal(p, &v);
    clear(v);
    return ok;
}

// LastError, for messages (a host-owned copy; leaked, the host is short-lived).
wchar_t* last_error(Obj& o) {
    tVariant v;
    wchar_t* text = wdup(get_prop(o, L"LastError", &v) && v.vt == VTYPE_PWSTR ? v.pwstrVal : L"?");
    clear(v);
    return text;
}

// Queue mode: one GetEvent(Event, Data, timeout) call. The first argument comes in Undefined and
// the second as an empty String, as 1C variables would; the add-in writes both.
bool pull(Obj& o, long timeout_ms) {
    long m = o.c->FindMethod(L"ПолучитьСобытие");
    tVariant params[3], r;
    memset(params, 0, sizeof params);
    memset(&r, 0, sizeof r);
    set(params[1], L"");
    set(params[2], Num{timeout_ms});
    bool ok = o.c->CallAsFunc(m, &r, params, 3);
    bool got = ok && r.vt == VTYPE_BOOL && r.bVal;
    if (got && params[0].vt == VTYPE_PWSTR && params[1].vt == VTYPE_PWSTR)
        o.p->keep(L"", params[0].pwstrVal, params[1].pwstrVal, true);
    else if (got)
        check(false, "GetEvent returned True with out-parameters of types ", (unsigned)params[0].vt, ", ",
              (unsigned)params[1].vt);
    for (int i = 0; i < 3; ++i) clear(params[i]);
    clear(r);
    return got;
}

const unsigned WAIT_MS = 20000;

// Waits up to WAIT_MS for an event whose message contains `needle` (from index `from` on);
// pulls with GetEvent where the object is in queue mode. Its index, or -1.
int wait_event(Obj& o, const wchar_t* needle, int from = 0) {
    unsigned start = now_ms();
    for (;;) {
        int i = o.p->find(needle, from);
        if (i >= 0) return i;
        if (now_ms() - start > WAIT_MS) return -1;
        if (o.p->app == IPlatformInfo::eAppServer)
            pull(o, 200);
        else
            Sleep(5);
    }
}

const wchar_t* OPEN = L"{\"Event\": \"Connection\",\"State\": \"Open\"}";
const wchar_t* OPEN_DATA = L"{\"Connection\": \"Open\"}";
const wchar_t* CLOSE = L"{\"Event\": \"Connection\",\"State\": \"Close\",\"Reason\": \"Normal\"}";
const wchar_t* CLOSE_DATA = L"{\"Connection\": \"Close\"}";
const wchar_t* FAIL = L"{\"Event\": \"Connection\",\"State\": \"Fail\"}";

// Waits for the seed's Open event, byte for byte. Its index, or -1 (the events are printed).
int wait_open(Obj& o, const char* label) {
    int i = wait_event(o, L"\"Event\": \"Connection\"");
    bool ok = i >= 0 && weq(o.p->event(i).message, OPEN) && weq(o.p->event(i).data, OPEN_DATA);
    if (!check(ok, label, ": the seed Open event (LastError: ", last_error(o), ")")) {
        o.p->dump();
        return -1;
    }
    return i;
}

// Send("echo", text) and its echo back, byte for byte.
bool echo(Obj& o, const char* label, const wchar_t* text, int from) {
    bool sent = call(o, L"Отправить", nullptr, L"echo", text);
    int i = wait_event(o, L"\"Name\": \"echo\"", from);
    bool ok = false;
    if (i >= 0) {
        Event e = o.p->event(i);
        wchar_t* want = (wchar_t*)heap_alloc((wlen(text) + 16) * 2);
        memcpy(want, L"[\"echo\",\"", 9 * 2);
        memcpy(want + 9, text, wlen(text) * 2);
        memcpy(want + 9 + wlen(text), L"\"]", 3 * 2);
        ok = weq(e.message, L"{\"Event\": \"Message\",\"Namespace\": \"/\",\"Name\": \"echo\",\"Type\": \"String\"}") &&
             weq(e.data, want);
        heap_free(want);
    }
    return check(sent && ok, label, ": Send(\"echo\", \"", text, "\") and its echo");
}

bool disconnect(Obj& o, const char* label, int from) {
    bool ok = call(o, L"Disconnect", nullptr);
    int i = wait_event(o, L"\"State\": \"Close\"", from);
    return check(ok && i >= 0 && weq(o.p->event(i).message, CLOSE) && weq(o.p->event(i).data, CLOSE_DATA), label,
                 ": Disconnect() and the seed Close event");
}

bool connect(Obj& o, const wchar_t* url) { return call(o, L"Подключиться", nullptr, url); }

// ---- the scenarios -----------------------------------------------------------------------------

struct Urls {
    const wchar_t* ws = nullptr;
    const wchar_t* wss = nullptr;
    const wchar_t* ca = nullptr;
    const wchar_t* other_ca = nullptr;
    const wchar_t* ca_der = nullptr;
    const wchar_t* proxied = nullptr;
    const wchar_t* mtls = nullptr;
    const wchar_t* pfx = nullptr;
};

// Sizes and offsets the compiler chose, against what the add-in assumes (native-api.md §2-3).
// The static ones are static_asserts in ../native_api/addin.h; these need an object.
void scenario_abi() {
    say("host: ", sizeof(void*) == 8 ? "x86_64" : "i686", "-pc-windows-msvc (clang), sizeof(tVariant) = ",
        sizeof(tVariant), ", sizeof(long) = ", sizeof(long), ", sizeof(wchar_t) = ", sizeof(wchar_t));
    check(g_lib.set_capabilities(eAppCapabilities3) == eAppCapabilities3, "SetPlatformCapabilities(3) = 3");
    AttachType attach = g_lib.get_attach_type();
    check(attach >= eCanAttachNotIsolated && attach <= eCanAttachAny, "GetAttachType = ", (int)attach);
    check(wcontains(g_lib.get_class_names(), L"Client"), "GetClassNames = \"", g_lib.get_class_names(), "\"");

    Obj o = create(IPlatformInfo::eAppThinClient);
    if (o.c == nullptr) return;
    // The platform reaches each base by a static cast; the add-in undoes it in every method.
    char* base = (char*)o.c;
    const ptrdiff_t P = (ptrdiff_t)sizeof(void*);
    bool offsets = (char*)static_cast<IInitDoneBase*>(o.c) - base == 0 &&
                   (char*)static_cast<ILanguageExtenderBase*>(o.c) - base == P &&
                   (char*)static_cast<LocaleBase*>(o.c) - base == 2 * P &&
                   (char*)static_cast<UserLanguageBase*>(o.c) - base == 3 * P;
    check(offsets, "the component's four base pointers sit at 0, ", (int)P, ", ", (int)(2 * P), ", ", (int)(3 * P));
    PlatformInfo probe;
    check((char*)static_cast<IInterface*>(&probe) - (char*)&probe == P,
          "MSVC puts IInterface after the vfptr: GetInterface's answer is the object + ", (int)P);
    tVariant v;
    bool ok = get_prop(o, L"Версия", &v) && v.vt == VTYPE_PWSTR && v.wstrLen == wlen(v.pwstrVal) && v.wstrLen > 0;
    check(ok, "Version = \"", ok ? v.pwstrVal : L"?", "\" (PWSTR, wstrLen without the NUL)");
    clear(v);
    long prop = o.c->FindProp(L"version");
    check(prop >= 0 && prop == o.c->FindProp(L"ВЕРСИЯ"), "FindProp(\"version\") = FindProp(\"ВЕРСИЯ\")");
    long m = o.c->FindMethod(L"connect");
    wchar_t* en = take(o.c->GetMethodName(m, 0));
    wchar_t* ru = take(o.c->GetMethodName(m, 1));
    check(weq(en, L"Connect") && weq(ru, L"Подключиться"), "GetMethodName = \"", en, "\" / \"", ru, "\"");
    heap_free(en);
    heap_free(ru);
    // A wrong type raises a 1C exception (AddError), and the old value stays.
    int errors = o.p->errors;
    check(!set_prop(o, L"Таймаут", true) && o.p->errors == errors + 1, "Timeout = True is refused with AddError");
    check(set_prop(o, L"Timeout", Num{7}) && get_prop(o, L"Timeout", &v) && weq(v.pwstrVal, L"7"),
          "Timeout = 7 (a Number) reads back \"7\"");
    clear(v);
    check(get_prop(o, L"DeliveryMode", &v) && weq(v.pwstrVal, L"events"), "a thin client gets DeliveryMode events");
    clear(v);
    destroy(o);
    check(o.p->wrong_thread == 0, "platform calls other than ExternalEvent came on the 1C thread");
}

void scenario_seed(const Urls& u) {
    Obj o = create(IPlatformInfo::eAppThinClient);
    if (o.c == nullptr) return;
    check(call(o, L"On", nullptr, L"greeting") && call(o, L"Подписаться", nullptr, L"echo"),
          "seed: On(\"greeting\"), Подписаться(\"echo\")");
    check(connect(o, u.ws), "seed: Connect(\"", u.ws, "\")");
    int open = wait_open(o, "seed");
    if (open < 0) return destroy(o);
    tVariant v;
    check(get_prop(o, L"Подключено", &v) && v.vt == VTYPE_BOOL && v.bVal, "seed: Connected = True");
    clear(v);
    // (Arguments are evaluated right to left under MSVC's ABI: read the property first.)
    bool sid = get_prop(o, L"SessionID", &v) && v.vt == VTYPE_PWSTR && v.wstrLen > 0;
    check(sid, "seed: SessionID = ", sid ? v.pwstrVal : L"?");
    clear(v);
    int greet = wait_event(o, L"\"Name\": \"greeting\"", open);
    check(greet >= 0 && weq(o.p->event(greet).data, L"[\"greeting\",\"Привет мир!\"]") &&
              weq(o.p->event(greet).source, L"SocketIO"),
          "seed: the greeting event, source SocketIO: ", greet >= 0 ? o.p->event(greet).data : L"none");
    echo(o, "seed", L"Привет, сервер!", open);
    check(o.p->find(L"\"Name\": \"welcome\"", 0) < 0, "seed: the unsubscribed welcome was not delivered");
    disconnect(o, "seed", open);
    check(o.p->external > 0 && o.p->pulled == 0, "seed: ", o.p->external, " events came through ExternalEvent");
    destroy(o);
}

void scenario_acks(const Urls& u) {
    Obj o = create(IPlatformInfo::eAppThinClient);
    if (o.c == nullptr) return;
    call(o, L"On", nullptr, L"question");
    connect(o, u.ws);
    int open = wait_open(o, "acks");
    if (open < 0) return destroy(o);
    // Client -> server: SendWithAck returns the Id at once; the Ack event carries the answer.
    tVariant r;
    bool ok = call(o, L"SendWithAck", &r, L"ack", L"[1,\"два\"]", Num{10});
    long id = number(r);
    clear(r);
    check(ok && id >= 0, "acks: SendWithAck(\"ack\", [1,\"два\"], 10) = ", id);
    int ack = wait_event(o, L"\"Event\": \"Ack\"", open);
    bool answered = ack >= 0 && wnumber_after(o.p->event(ack).message, L"\"Id\": ") == id &&
                    wcontains(o.p->event(ack).message, L"\"Name\": \"ack\",\"State\": \"Ok\"") &&
                    weq(o.p->event(ack).data, L"[1,\"два\"]");
    check(answered, "acks: the Ack event: ", ack >= 0 ? o.p->event(ack).message : L"none", " | ",
          ack >= 0 ? o.p->event(ack).data : L"");
    // Server -> client: the server's "question" asks for an ack; Ack(AckId, ...) answers it, and the
    // server passes the answer back as the ack of our "ask".
    ok = call(o, L"ОтправитьСПодтверждением", &r, L"ask", L"[\"вопрос\"]");
    long ask_id = number(r);
    clear(r);
    int q = wait_event(o, L"\"Name\": \"question\"", open);
    long ack_id = q >= 0 ? wnumber_after(o.p->event(q).message, L"\"AckId\": ") : -1;
    check(ok && q >= 0 && ack_id >= 0 && weq(o.p->event(q).data, L"[\"question\",\"вопрос\"]"),
          "acks: the server's question asks for an ack, AckId ", ack_id);
    check(call(o, L"Подтвердить", nullptr, Num{ack_id}, L"[\"ответ\"]"), "acks: Ack(", ack_id, ", [\"ответ\"])");
    int back = -1;
    for (int from = ack + 1; from >= 0; from = back + 1) {
        back = wait_event(o, L"\"Event\": \"Ack\"", from);
        if (back < 0 || wnumber_after(o.p->event(back).message, L"\"Id\": ") == ask_id) break;
    }
    check(back >= 0 && weq(o.p->event(back).data, L"[\"ответ\"]"), "acks: the server got the answer (ack of ask: ",
          back >= 0 ? o.p->event(back).data : L"none", ")");
    disconnect(o, "acks", open);
    destroy(o);
}

void scenario_queue(const Urls& u) {
    Obj o = create(IPlatformInfo::eAppServer);
    if (o.c == nullptr) return;
    tVariant v;
    check(get_prop(o, L"РежимДоставки", &v) && weq(v.pwstrVal, L"queue"), "queue: a server gets DeliveryMode queue");
    clear(v);
    // GetEvent with its optional TimeoutMs left out: GetParamDefValue fills it, nothing waits.
    tVariant r;
    unsigned t0 = now_ms();
    bool ok = call(o, L"GetEvent", &r, L"", L"");
    check(ok && r.vt == VTYPE_BOOL && !r.bVal && now_ms() - t0 < 1000,
          "queue: GetEvent with the default timeout returns False at once");
    clear(r);
    call(o, L"On", nullptr, L"greeting");
    call(o, L"On", nullptr, L"echo");
    connect(o, u.ws);
    int open = wait_open(o, "queue");
    if (open < 0) return destroy(o);
    int greet = wait_event(o, L"\"Name\": \"greeting\"", open);
    check(greet >= 0 && weq(o.p->event(greet).data, L"[\"greeting\",\"Привет мир!\"]"),
          "queue: the greeting event through GetEvent's out-parameters");
    echo(o, "queue", L"очередь", open);
    disconnect(o, "queue", open);
    check(o.p->pulled > 0 && o.p->external == 0, "queue: ", o.p->pulled, " events pulled with GetEvent, ",
          o.p->external, " external events");
    destroy(o);
}

void scenario_ten(const Urls& u) {
    const int N = 10;
    Obj* objs = new Obj[N];
    for (int i = 0; i < N; ++i) {
        objs[i] = create(IPlatformInfo::eAppThinClient);
        if (objs[i].c == nullptr) return;
        call(objs[i], L"On", nullptr, L"echo");
        connect(objs[i], u.ws);
    }
    int opened = 0, echoed = 0, closed = 0;
    for (int i = 0; i < N; ++i) opened += wait_event(objs[i], OPEN) >= 0;
    check(opened == N, "ten: ", opened, " of ", N, " objects open at once");
    wchar_t text[] = L"объект 0";
    for (int i = 0; i < N; ++i) {
        text[7] = (wchar_t)(L'0' + i);
        call(objs[i], L"Send", nullptr, L"echo", text);
    }
    for (int i = 0; i < N; ++i) {
        text[7] = (wchar_t)(L'0' + i);
        int e = wait_event(objs[i], L"\"Name\": \"echo\"");
        bool own = e >= 0 && wcontains(objs[i].p->event(e).data, text) &&
                   objs[i].p->find(L"\"Name\": \"echo\"", e + 1) < 0;
        echoed += own;
    }
    check(echoed == N, "ten: ", echoed, " of ", N, " objects got their own echo and only it");
    for (int i = 0; i < N; ++i) call(objs[i], L"Disconnect", nullptr);
    for (int i = 0; i < N; ++i) closed += wait_event(objs[i], CLOSE) >= 0;
    check(closed == N, "ten: ", closed, " of ", N, " Close events");
    for (int i = 0; i < N; ++i) destroy(objs[i]);
}

void scenario_done_receiving(const Urls& u) {
    Obj o = create(IPlatformInfo::eAppThinClient);
    if (o.c == nullptr) return;
    call(o, L"On", nullptr, L"tick");
    connect(o, u.ws);
    if (wait_open(o, "done-receiving") < 0) return destroy(o);
    call(o, L"SendJSON", nullptr, L"flood", L"{\"n\":1000000}");
    unsigned start = now_ms();
    while (o.p->count() < 200 && now_ms() - start < WAIT_MS) Sleep(5);
    int before = o.p->count();
    check(before >= 200, "done-receiving: the flood arrives (", before, " events)");
    unsigned t0 = now_ms();
    o.c->Done(); // the documented bound: 2 s
    unsigned took = now_ms() - t0;
    o.p->mark_dead();
    check(took <= 3000, "done-receiving: Done returned in ", took, " ms while events arrived");
    g_lib.destroy_object(&o.c);
    check(o.c == nullptr, "done-receiving: DestroyObject");
    Sleep(300); // an ExternalEvent from a thread that outlived Done would land now
    check(o.p->late_events == 0, "done-receiving: no ExternalEvent after Done (", o.p->late_events, ")");
}

// OneScript's teardown, and what C++ code that owns the object may do: Done, then `delete`
// through a base pointer, i.e. MSVC's deleting destructor (slot 0 of that base's vftable,
// thiscall with flags = 1 on x86) on the this-adjusted sub-object.
void scenario_delete_bases(const Urls& u) {
    const char* names[] = {"IComponentBase", "IInitDoneBase", "ILanguageExtenderBase", "LocaleBase",
                           "UserLanguageBase"};
    for (int k = 0; k < 5; ++k) {
        Obj o = create(IPlatformInfo::eAppThinClient);
        if (o.c == nullptr) return;
        call(o, L"On", nullptr, L"greeting");
        connect(o, u.ws);
        bool opened = wait_event(o, OPEN) >= 0;
        done(o);
        switch (k) {
        case 0: delete o.c; break;
        case 1: delete static_cast<IInitDoneBase*>(o.c); break;
        case 2: delete static_cast<ILanguageExtenderBase*>(o.c); break;
        case 3: delete static_cast<LocaleBase*>(o.c); break;
        case 4: delete static_cast<UserLanguageBase*>(o.c); break;
        }
        Sleep(100);
        check(opened && o.p->late_events == 0, "delete-bases: a connected object, Done, delete through ", names[k],
              "*");
    }
}

void scenario_wss(const Urls& u) {
    if (u.wss == nullptr) return;
    // A custom CA (CACertificate, a path).
    Obj o = create(IPlatformInfo::eAppThinClient);
    if (o.c == nullptr) return;
    check(set_prop(o, L"СертификатУЦ", u.ca), "wss: CACertificate = ", u.ca);
    connect(o, u.wss);
    int open = wait_open(o, "wss: custom CA");
    if (open >= 0) disconnect(o, "wss", open);
    destroy(o);
    // An unrelated CA: the handshake must fail with the seed Fail event (the Windows store is left
    // out: system-store put the server's CA there).
    o = create(IPlatformInfo::eAppThinClient);
    set_prop(o, L"CACertificate", u.other_ca);
    set_prop(o, L"SystemCertificates", false);
    connect(o, u.wss);
    int fail = wait_event(o, L"\"Event\": \"Connection\"");
    check(fail >= 0 && weq(o.p->event(fail).message, FAIL), "wss: an unknown CA is refused (LastError: ",
          last_error(o), ")");
    destroy(o);
    // The explicit opt-in: VerifyCertificate = False (a Boolean).
    o = create(IPlatformInfo::eAppThinClient);
    check(set_prop(o, L"ПроверятьСертификат", false), "wss: VerifyCertificate = False");
    connect(o, u.wss);
    open = wait_open(o, "wss: unverified");
    if (open >= 0) disconnect(o, "wss unverified", open);
    destroy(o);
}

// Proxy = "system" on Windows: the proxy of the user's Internet settings reaches a server by a
// name that nothing else resolves; without it, the same name fails.
void scenario_system_proxy(const Urls& u) {
    if (u.proxied == nullptr) return;
    Obj o = create(IPlatformInfo::eAppThinClient);
    if (o.c == nullptr) return;
    check(set_prop(o, L"Прокси", L"системный"), "system-proxy: Proxy = \"системный\"");
    call(o, L"On", nullptr, L"echo");
    connect(o, u.proxied);
    int open = wait_open(o, "system-proxy: through the proxy of the Windows Internet settings");
    if (open >= 0) echo(o, "system-proxy", L"через прокси", open);
    destroy(o);
    o = create(IPlatformInfo::eAppThinClient);
    set_prop(o, L"Переподключение", false);
    connect(o, u.proxied);
    int fail = wait_event(o, L"\"Event\": \"Connection\"");
    check(fail >= 0 && weq(o.p->event(fail).message, FAIL), "system-proxy: without Proxy the name does not resolve");
    destroy(o);
}

// SystemCertificates on Windows: the server's CA put into the user's Trusted Root store (as
// group policy puts a company's CA into the machine's), then trusted with no CACertificate, and
// not trusted with SystemCertificates = False. Runs before any other TLS connection: the add-in
// reads the store once per process.
void scenario_system_store(const Urls& u) {
    if (u.wss == nullptr || u.ca_der == nullptr) return;
    unsigned long n = 0;
    unsigned char* der = read_file(u.ca_der, &n);
    void* store = CertOpenSystemStoreW(0, L"ROOT");
    const unsigned long X509_ASN_ENCODING = 1, CERT_STORE_ADD_REPLACE_EXISTING = 3;
    bool added = der != nullptr && store != nullptr &&
                 CertAddEncodedCertificateToStore(store, X509_ASN_ENCODING, der, n, CERT_STORE_ADD_REPLACE_EXISTING,
                                                  nullptr);
    if (store != nullptr) CertCloseStore(store, 0);
    heap_free(der);
    if (!check(added, "system-store: the test CA added to the user's Trusted Root store (", n, " bytes)")) return;

    Obj o = create(IPlatformInfo::eAppThinClient);
    if (o.c == nullptr) return;
    tVariant v;
    bool on = get_prop(o, L"СертификатыОС", &v) && v.vt == VTYPE_BOOL && v.bVal;
    clear(v);
    check(on, "system-store: SystemCertificates is on by default");
    connect(o, u.wss);
    int open = wait_open(o, "system-store: the CA from the Windows store is trusted");
    if (open >= 0) disconnect(o, "system-store", open);
    destroy(o);

    o = create(IPlatformInfo::eAppThinClient);
    check(set_prop(o, L"SystemCertificates", false), "system-store: SystemCertificates = False");
    connect(o, u.wss);
    int fail = wait_event(o, L"\"Event\": \"Connection\"");
    check(fail >= 0 && weq(o.p->event(fail).message, FAIL), "system-store: off, the same server is not trusted (",
          last_error(o), ")");
    destroy(o);
}

// Mutual TLS: a server that requires a client certificate from the test CA gets the one in a
// .pfx file (a Windows path; AES-256 as current Windows exports it) opened with its password;
// the password is never read back; a wrong one fails with a text that says so (in Russian: the
// host's interface language).
void scenario_mtls(const Urls& u) {
    if (u.mtls == nullptr || u.pfx == nullptr) return;
    const wchar_t* password = L"1c-secret";
    Obj o = create(IPlatformInfo::eAppThinClient);
    if (o.c == nullptr) return;
    set_prop(o, L"CACertificate", u.ca);
    check(set_prop(o, L"КлиентскийСертификат", u.pfx) && set_prop(o, L"ПарольКлиентскогоСертификата", password) &&
              call(o, L"On", nullptr, L"echo"),
          "mtls: ClientCertificate = ", u.pfx, " and its password, On(\"echo\")");
    tVariant v;
    bool hidden = get_prop(o, L"ClientCertificatePassword", &v) && v.vt == VTYPE_PWSTR && v.wstrLen == 0;
    clear(v);
    check(hidden, "mtls: ClientCertificatePassword reads back empty");
    connect(o, u.mtls);
    int open = wait_open(o, "mtls: the client certificate is accepted");
    if (open >= 0) {
        echo(o, "mtls", L"взаимный TLS", open);
        disconnect(o, "mtls", open);
    }
    destroy(o);

    o = create(IPlatformInfo::eAppThinClient);
    set_prop(o, L"CACertificate", u.ca);
    set_prop(o, L"ClientCertificate", u.pfx);
    set_prop(o, L"ClientCertificatePassword", L"not the password");
    connect(o, u.mtls);
    int fail = wait_event(o, L"\"Event\": \"Connection\"");
    wchar_t* why = last_error(o);
    check(fail >= 0 && weq(o.p->event(fail).message, FAIL) && wcontains(why, L"(неверный пароль)"),
          "mtls: a wrong password fails and says so (", why, ")");
    destroy(o);
}

// The library loaded twice, freed with objects alive (it must stay: its threads run on), and
// loaded again.
void scenario_reload(const Urls& u) {
    void* first = g_lib.module;
    void* again = LoadLibraryW(g_lib_path);
    check(again == first, "reload: a second LoadLibrary gives the same module");
    Obj o = create(IPlatformInfo::eAppThinClient);
    if (o.c == nullptr) return;
    call(o, L"On", nullptr, L"echo");
    connect(o, u.ws);
    int open = wait_open(o, "reload");
    bool freed = FreeLibrary(again) && FreeLibrary(first); // the reference count is 0 now
    void* still = nullptr;
    GetModuleHandleExW(MODULE_UNCHANGED_REFCOUNT, g_lib_path, &still);
    check(freed && still == first, "reload: FreeLibrary to a count of 0 with an object alive: the module stays (pinned)");
    if (open >= 0) echo(o, "reload: after FreeLibrary, the live object", L"ещё здесь", open);
    check(load_library() && g_lib.module == first, "reload: LoadLibrary again gives the same module");
    Obj b = create(IPlatformInfo::eAppThinClient);
    if (b.c == nullptr) return;
    call(b, L"On", nullptr, L"echo");
    connect(b, u.ws);
    int bopen = wait_open(b, "reload: a new object");
    if (bopen >= 0) echo(b, "reload: a new object", L"снова", bopen);
    destroy(o);
    destroy(b);
}

bool is(const wchar_t* a, const wchar_t* b) { return weq(a, b); }

int run() {
    Vec<wchar_t*> args = command_line_args();
    Urls u;
    const wchar_t* only = nullptr;
    const struct {
        const wchar_t* flag;
        const wchar_t** to;
    } options[] = {
        {L"--ws", &u.ws},           {L"--wss", &u.wss},         {L"--ca", &u.ca},
        {L"--other-ca", &u.other_ca}, {L"--ca-der", &u.ca_der}, {L"--proxied", &u.proxied},
        {L"--mtls", &u.mtls},       {L"--pfx", &u.pfx},         {L"--only", &only},
    };
    for (unsigned i = 1; i < args.len; ++i) {
        bool taken = false;
        for (const auto& option : options) {
            if (!taken && i + 1 < args.len && is(args[i], option.flag)) {
                *option.to = args[++i];
                taken = true;
            }
        }
        if (taken) continue;
        if (g_lib_path != nullptr) {
            g_lib_path = nullptr; // a second library path: the usage line below
            break;
        }
        g_lib_path = args[i];
    }
    if (g_lib_path == nullptr || u.ws == nullptr || (u.wss && (!u.ca || !u.other_ca))) {
        say("usage: host.exe LIB --ws URL [--wss URL --ca CA.pem --ca-der CA.der --other-ca OTHER.pem] "
            "[--proxied URL] [--mtls URL --pfx CLIENT.pfx] [--only NAME]");
        return 2;
    }
    if (!check(load_library(), "load ", g_lib_path, " and find its five exports")) return 1;

    struct Scenario {
        const wchar_t* name;
        void (*run)(const Urls&);
    };
    const Scenario all[] = {
        {L"abi", [](const Urls&) { scenario_abi(); }},
        {L"seed", scenario_seed},
        {L"acks", scenario_acks},
        {L"queue", scenario_queue},
        {L"ten", scenario_ten},
        {L"done-receiving", scenario_done_receiving},
        {L"delete-bases", scenario_delete_bases},
        {L"system-proxy", scenario_system_proxy},
        {L"system-store", scenario_system_store},
        {L"wss", scenario_wss},
        {L"mtls", scenario_mtls},
        {L"reload", scenario_reload},
    };
    for (const Scenario& s : all)
        if (only == nullptr || is(only, s.name)) s.run(u);

    Sleep(300);
    check(memory().violations() == 0, "memory: no bad FreeMemory, no write past a block");
    check(memory().live() == 0, "memory: every block the add-in allocated was freed (", memory().live(), " live)");
    say(g_passed, " passed, ", g_failed, " failed");
    if (g_failed) return 1;
    say("ALL OK");
    return 0;
}

} // namespace

extern "C" void start() { ExitProcess((unsigned)run()); }
