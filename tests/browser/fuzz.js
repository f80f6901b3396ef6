// Seeded generators of bad input for the reliability fuzz (tests/browser/test_fuzz.py).
// A classic script defining globalThis.fuzz. Case i of seed s draws from its own
// generator (mulberry32 of s and i), so any single case can be replayed alone.
// Values are made and used in JS: many of them (symbols, proxies that throw,
// getters, cycles) could not cross into Python and back unchanged.
(() => {
  function mulberry32(seed) {
    return () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const caseRng = (seed, i) => mulberry32(Math.imul(seed, 100003) + i);
  const int = (r, n) => Math.floor(r() * n);
  const pick = (r, items) => items[int(r, items.length)];
  const KEYS = ["v", "kind", "partyId", "networkId", "connection", "isConnected", "network", "primary", "status",
                "accounts", "account", "version", "f", "iv", "ct", "__proto__", "constructor", "prototype", "toJSON", "then", "length", "0"];

  function text(r) {
    switch (int(r, 9)) {
      case 0: return "";
      case 1: return `party::${int(r, 1e6)}`;
      case 2: return "x".repeat(1025 + int(r, 5000));          // longer than any id may be
      case 3: return "\ud800a\udfff";                           // lone surrogates
      case 4: return "é漢字🙂\u0000\u202e".repeat(1 + int(r, 5));
      case 5: return "z".repeat(1_000_000);
      case 6: return pick(r, ["disconnect", "party", "network", "__proto__", "constructor", "toString", "1", "true", "null", " party::a "]);
      case 7: return String.fromCharCode(...Array.from({ length: int(r, 40) }, () => int(r, 0x3000)));
      default: return `canton:${int(r, 100)}`;
    }
  }

  function scalar(r, cloneable) {
    const makers = [
      () => undefined, () => null, () => true, () => false, () => 0, () => -0, () => 1, () => -1, () => NaN,
      () => Infinity, () => -Infinity, () => 2 ** 53 + 2, () => 1.5, () => r() * 1e308, () => 1n, () => 2n ** 70n,
      () => text(r), () => text(r), () => new Number(1), () => new String("disconnect"), () => new Boolean(false),
    ];
    if (!cloneable) makers.push(() => Symbol("s"), () => function named() {});
    return pick(r, makers)();
  }

  function nest(depth) {
    let value = { v: 1 };
    for (let i = 0; i < depth; i++) value = { a: value, v: 1, kind: "party" };
    return value;
  }

  // Any value; `cloneable` keeps to what structured clone (postMessage) can carry.
  function garbage(r, depth = 0, cloneable = false) {
    switch (int(r, depth > 2 ? 1 : 15)) {
      case 0: return scalar(r, cloneable);
      case 1: return Array.from({ length: int(r, 5) }, () => garbage(r, depth + 1, cloneable));
      case 2: {
        const o = {};
        for (let n = int(r, 6); n > 0; n--) {
          const key = pick(r, KEYS);
          let value = garbage(r, depth + 1, cloneable);
          // A function under "then" is a thenable that never settles: a wallet that never answers, not bad input.
          if (key === "then" && typeof value === "function") value = "then";
          Object.defineProperty(o, key, { value, enumerable: true, configurable: true, writable: true });
        }
        return o;
      }
      case 3: { const o = { v: 1, kind: "party" }; o.partyId = o; o.self = [o]; return o; }   // cycles
      case 4: return new Date(int(r, 1e12));
      case 5: return new Map([["v", 1], ["kind", "disconnect"]]);
      case 6: return pick(r, [new Uint8Array(int(r, 64)).buffer, new Float64Array(3), new DataView(new ArrayBuffer(4))]);
      case 7: return cloneable ? new Set([1, "disconnect"]) : { then: (resolve) => resolve({ connection: { isConnected: "maybe" } }) };
      case 8: return cloneable ? /disconnect/g : new Proxy({}, { get() { throw new Error("hostile get"); }, ownKeys() { throw new Error("hostile keys"); }, getOwnPropertyDescriptor() { throw new Error("hostile descriptor"); } });
      case 9: return Object.assign(Object.create(null), { v: "1", kind: 5 });
      case 10: return JSON.parse('{"__proto__": {"v": 1, "kind": "disconnect", "partyId": "party::proto"}, "constructor": {"prototype": {"polluted": true}}}');
      case 11: return cloneable ? Object.assign(new Error("boom"), { v: 1, kind: "disconnect" }) : { get connection() { throw new Error("hostile getter"); }, toJSON() { throw new Error("hostile toJSON"); } };
      case 12: return nest(200 + int(r, 3000));
      case 13: return Object.fromEntries(Array.from({ length: 5000 }, (_, k) => [`k${k}`, k]));
      default: return cloneable ? new Blob(["{}"]) : Object.create({ v: 1, kind: "disconnect", connection: { isConnected: true } });
    }
  }

  const describe = (value) => {
    try {
      const json = JSON.stringify(value, (k, v) => (typeof v === "bigint" ? `${v}n` : v));
      if (json !== undefined) return json.length > 120 ? `${json.slice(0, 120)}… (${json.length} chars)` : json;
    } catch {}
    try { return `${Object.prototype.toString.call(value)} ${String(value).slice(0, 60)}`; } catch { return typeof value; }
  };

  // -- BroadcastChannel messages that a receiver must ignore.
  function badMessage(r) {
    const kind = () => pick(r, ["party", "network", "disconnect"]);
    const makers = [
      () => garbage(r, 0, true),
      () => ({ v: pick(r, [0, 2, -1, "1", true, null, undefined, 1.5, NaN, [1], { v: 1 }, new Number(1), 1n]), kind: kind(), partyId: "party::x", networkId: "canton:x" }),
      () => ({ v: 1, kind: pick(r, ["", "Party", "PARTY", "disconnect ", "connect", "expire", text(r), 1, null, ["party"], new String("disconnect")]) }),
      () => ({ v: 1, kind: "party", partyId: pick(r, [5, "", "x".repeat(1025), "y".repeat(1_000_000), ["party::a"], { id: "party::a" }, true, new String("party::a"), 1n]) }),
      () => ({ v: 1, kind: "network", networkId: pick(r, [5, "", "x".repeat(1025), ["canton:a"], { networkId: "canton:a" }, false]) }),
      () => ({ v: 1, kind: "party" }),                       // no partyId at all
      () => ({ v: 1, kind: "network", partyId: "party::a" }),  // the other kind's field
      () => Object.create({ v: 1, kind: "disconnect" }),     // inherited fields do not count
      () => JSON.parse('{"__proto__": {"v": 1, "kind": "disconnect"}}'),
      () => [{ v: 1, kind: "disconnect" }],
      () => JSON.stringify({ v: 1, kind: "disconnect" }),    // JSON text is not the message
      () => new Map(Object.entries({ v: 1, kind: "disconnect" })),
      () => Object.assign(new Error("x"), { v: 1, kind: "disconnect" }),
    ];
    return pick(r, makers)();
  }

  // -- Provider answers and events, near misses of each shape.
  function account(r) {
    return {
      primary: pick(r, [true, false, "true", 1, undefined, null]),
      partyId: pick(r, [text(r), 7, null, undefined, "party::ok", ["party::ok"]]),
      status: pick(r, ["allocated", 5, null, undefined]),
      hint: pick(r, ["", 1, "x".repeat(9000)]),
      publicKey: pick(r, ["", {}]),
      namespace: "",
      networkId: pick(r, ["canton:a", 5, undefined]),
      signingProviderId: pick(r, ["s", null]),
      hasPreapproval: pick(r, [undefined, "yes", true, 0]),
      utilityPreapprovalAdmins: pick(r, [undefined, [1], "a", ["a"], [null]]),
    };
  }
  function walletValue(r, method) {
    if (r() < 0.4) return garbage(r);
    switch (method) {
      case "status":
      case "statusChanged":
      case "connected":
        return pick(r, [
          () => ({ connection: { isConnected: garbage(r, 2) } }),
          () => ({ connection: garbage(r, 1) }),
          () => ({ connection: { isConnected: true }, network: garbage(r, 1) }),
          () => ({ isConnected: pick(r, ["true", 1, null, "false"]) }),
          () => ({ connection: { isConnected: true }, network: { networkId: garbage(r, 2) } }),
          () => ({ connection: { isConnected: pick(r, [true, false]) }, network: { networkId: pick(r, ["", "x".repeat(1025), 5]) } }),
        ])();
      case "listAccounts":
      case "accountsChanged":
        return pick(r, [
          () => Array.from({ length: 1 + int(r, 3) }, () => account(r)),
          () => [garbage(r, 1)],
          () => ({ 0: account(r), length: 1 }),
          () => Array.from({ length: 20000 }, () => ({ partyId: 7 })),
        ])();
      case "getActiveNetwork":
      case "chainChanged":
        return pick(r, [() => ({ networkId: garbage(r, 2) }), () => ({ chainId: garbage(r, 2) }), () => garbage(r, 1), () => "", () => "x".repeat(2000)])();
      default:
        return pick(r, [() => ({ isConnected: garbage(r, 2) }), () => ({ connection: { isConnected: garbage(r, 2) } }), () => garbage(r)])();
    }
  }
  // A status answer that validly says "disconnected" is not bad input: it ends a restore legitimately.
  const saysDisconnected = (v) => { try { return v?.connection?.isConnected === false || (v?.connection === undefined && v?.isConnected === false); } catch { return false; } };

  // A crypto envelope sealed under a key of its own: well formed, never openable with the origin's key.
  globalThis.fuzzOtherKey = async (plaintext) => {
    const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt"]);
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, new TextEncoder().encode(plaintext));
    const b64 = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)));
    return JSON.stringify({ f: 1, iv: b64(iv), ct: b64(ct) });
  };

  globalThis.fuzz = {
    describe,
    // Post bad message i of seed on `channel` (a BroadcastChannel); returns its description.
    post(channel, seed, i) {
      const message = badMessage(caseRng(seed, i));
      try {
        channel.postMessage(message);
      } catch (error) {
        return `not cloneable (${error.name}), skipped: ${describe(message)}`;
      }
      return describe(message);
    },
    // Make the armed mock wallet answer `method` with bad value i of seed.
    answer(seed, i, method) {
      let value = walletValue(caseRng(seed, i), method);
      if (method === "status" && saysDisconnected(value)) value = { connection: { isConnected: "false" } };
      faults.on.walletGarbage = { [method]: value };
      return describe(value);
    },
    // Emit event `name` with bad value i of seed from the mock wallet.
    emit(seed, i, name) {
      const value = walletValue(caseRng(seed, i), name);
      mockWallet.emit(name, value);
      return describe(value);
    },
  };
})();
