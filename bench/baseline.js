// The platform's own limit: the browser work pysession does, hand-written in JS
// the cheapest way the platform allows (key loaded once and kept, one open
// IndexedDB connection per database, one channel). The benchmark times these
// in JS (raw JS) and awaits them from Python once per operation (the floor).

const ALGORITHM = "AES-GCM";
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const toBase64 = (bytes) => bytes.toBase64();
const fromBase64 = (text) => Uint8Array.fromBase64(text);

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function committed(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = tx.onabort = () => reject(tx.error);
  });
}

function openDatabase(name, store) {
  const req = indexedDB.open(name, 1);
  req.onupgradeneeded = () => req.result.createObjectStore(store);
  return request(req);
}

async function loadKey(name) {
  const db = await openDatabase(name, "keys");
  let key = await request(db.transaction("keys").objectStore("keys").get("aes-gcm-256"));
  if (!key) {
    key = await crypto.subtle.generateKey({ name: ALGORITHM, length: 256 }, false, ["encrypt", "decrypt"]);
    const tx = db.transaction("keys", "readwrite");
    tx.objectStore("keys").put(key, "aes-gcm-256");
    await committed(tx);
  }
  return key;
}

async function seal(key, text) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ciphertext = new Uint8Array(await crypto.subtle.encrypt({ name: ALGORITHM, iv }, key, encoder.encode(text)));
  return `{"f":1,"iv":"${toBase64(iv)}","ct":"${toBase64(ciphertext)}"}`;
}

async function open(key, blob) {
  if (blob == null) return null;
  const { iv, ct } = JSON.parse(blob);
  return decoder.decode(await crypto.subtle.decrypt({ name: ALGORITHM, iv: fromBase64(iv) }, key, fromBase64(ct)));
}

// An encrypted storage, same work as pysession's: "indexeddb" or "localstorage" for the blob.
export async function rawStorage(prefix, backend) {
  const key = await loadKey(`${prefix}-key`);
  if (backend === "localstorage") {
    return {
      async setItem(name, text) {
        localStorage.setItem(`${prefix}::${name}`, await seal(key, text));
      },
      getItem: (name) => open(key, localStorage.getItem(`${prefix}::${name}`)),
    };
  }
  const db = await openDatabase(`${prefix}-data`, "blobs");
  return {
    async setItem(name, text) {
      const blob = await seal(key, text);
      const tx = db.transaction("blobs", "readwrite");
      tx.objectStore("blobs").put(blob, name);
      await committed(tx);
    },
    async getItem(name) {
      return open(key, await request(db.transaction("blobs").objectStore("blobs").get(name)));
    },
  };
}

// A minimal JS store: the steps pysession's connect() and init() take, nothing more.
export function minimalStore(provider, storage, name) {
  let accounts = [];
  let networkId = null;
  provider.on("accountsChanged", (list) => (accounts = list));
  provider.on("statusChanged", (status) => (networkId = status.network?.networkId ?? networkId));
  const envelope = () =>
    JSON.stringify({ version: 1, account: accounts.find((a) => a.primary) ?? accounts[0] ?? null, accounts, networkId, connectedAt: Date.now() });
  return {
    async connect() {
      await provider.request({ method: "connect" });
      await storage.setItem(name, envelope());
    },
    // The original's init(): read what is stored, ask the wallet, and persist the session it resumes.
    async init() {
      await storage.getItem(name); // read first, as the original does; the wallet decides either way
      const status = await provider.request({ method: "status" });
      if (!status.connection.isConnected) return false;
      accounts = await provider.request({ method: "listAccounts" });
      networkId = status.network?.networkId ?? null;
      await storage.setItem(name, envelope());
      return true;
    },
  };
}

// Wall-clock milliseconds with sub-millisecond precision, comparable across tabs.
export const now = () => performance.timeOrigin + performance.now();

// Raw BroadcastChannel latency: one channel per tab, receipts recorded where they land.
export function rawChannel(name) {
  const channel = new BroadcastChannel(name);
  const latencies = [];
  channel.onmessage = (event) => latencies.push(now() - event.data.sentAt);
  return {
    latencies,
    post: () => channel.postMessage({ sentAt: now() }),
    close: () => channel.close(),
  };
}

// JS API calls made per operation: counts calls on the APIs the storages use.
export function countCalls() {
  const counts = { calls: 0 };
  const targets = [
    [IDBDatabase.prototype, ["transaction"]],
    [IDBTransaction.prototype, ["objectStore"]],
    [IDBObjectStore.prototype, ["get", "put", "add", "delete"]],
    [SubtleCrypto.prototype, ["encrypt", "decrypt"]],
    [Crypto.prototype, ["getRandomValues"]],
    [TextEncoder.prototype, ["encode"]],
    [TextDecoder.prototype, ["decode"]],
    [Promise, ["withResolvers"]],
    [Promise.prototype, ["then"]],
    [Function.prototype, ["bind"]],
    [Storage.prototype, ["getItem", "setItem", "removeItem"]],
  ];
  const restore = [];
  for (const [target, names] of targets) {
    for (const name of names) {
      const original = target[name];
      target[name] = function (...args) {
        counts.calls += 1;
        return original.apply(this, args);
      };
      restore.push(() => (target[name] = original));
    }
  }
  counts.stop = () => restore.forEach((undo) => undo());
  return counts;
}

// Per-operation milliseconds of n sequential calls of op, timed in JS.
export async function timeOps(op, n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await op();
    out.push(performance.now() - start);
  }
  return out;
}

// Counts a wallet's requests (each is one await for the store that makes it).
export function countRequests(wallet) {
  const counter = { count: 0 };
  const request = wallet.request;
  wallet.request = (payload) => {
    counter.count += 1;
    return request(payload);
  };
  return counter;
}

// n events that change no party: account reorders keeping the primary, repeated status.
export function emitUnchanged(wallet, n) {
  const [primary] = wallet.state().connected ? [wallet.state()] : [];
  const accounts = (order) => {
    const main = { primary: true, partyId: primary.partyId, status: "allocated", hint: "", publicKey: "", namespace: "", networkId: primary.networkId, signingProviderId: "s" };
    const other = { ...main, primary: false, partyId: "party::other" };
    return order ? [main, other] : [other, main];
  };
  const status = { connection: { isConnected: true }, network: { networkId: primary.networkId } };
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    if (i % 2) wallet.emit("statusChanged", status);
    else wallet.emit("accountsChanged", accounts(i % 4 === 0));
  }
  return performance.now() - start;
}

export function switchParties(wallet, n) {
  for (let i = 0; i < n; i++) wallet.setParty(`party::switch-${i}`);
}

window.baseline = { rawStorage, minimalStore, now, rawChannel, countCalls, timeOps, countRequests, emitUnchanged, switchParties };
