// WIRE.md in a few lines of plain JS, knowing nothing of pysession: the tests
// use it to read what pysession wrote and to write what pysession must read.
// A classic script defining globalThis.wire. It keeps the browser's own
// IndexedDB functions, so a test that wraps them counts pysession's calls
// only, and it closes every connection it opens, so it never blocks anybody.
(() => {
  const idbOpen = IDBFactory.prototype.open;
  const idbClose = IDBDatabase.prototype.close;
  const storeGet = IDBObjectStore.prototype.get;
  const names = {
    keyDb: (origin) => `partylayer-session-key::${origin}`,
    dataDb: (origin) => `partylayer-session-data::${origin}`,
    localKey: (origin, key) => `partylayer.session.enc::${origin}::${key}`,
    channel: (origin, key) => `partylayer.session.sync::${origin}::${key}`,
  };

  const settle = (request) =>
    new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });

  // Opens at version 1, creating the one object store in upgradeneeded (WIRE.md)
  // to write; a read of a missing database answers undefined and creates nothing.
  async function transact(dbName, store, mode, work) {
    const opening = idbOpen.call(indexedDB, dbName, 1);
    let missing = false;
    opening.onupgradeneeded = () => {
      if (mode === "readonly") {
        missing = true;
        opening.transaction.abort();
      } else {
        opening.result.createObjectStore(store);
      }
    };
    let db;
    try {
      db = await settle(opening);
    } catch (error) {
      if (missing) return undefined;
      throw error;
    }
    try {
      const tx = db.transaction(store, mode);
      const done = new Promise((resolve, reject) => {
        tx.oncomplete = resolve;
        tx.onerror = tx.onabort = () => reject(tx.error);
      });
      const request = work(tx.objectStore(store));
      const value = request ? await settle(request) : undefined;
      await done;
      return value;
    } finally {
      idbClose.call(db);
    }
  }

  async function entries(dbName, store) {
    const keys = await transact(dbName, store, "readonly", (s) => s.getAllKeys());
    const values = await transact(dbName, store, "readonly", (s) => s.getAll());
    return (keys ?? []).map((key, i) => [key, values[i]]);
  }

  const databases = async () => (await indexedDB.databases()).map((db) => db.name).sort();

  const toBase64 = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)));
  const fromBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

  const readKey = (origin) => transact(names.keyDb(origin), "keys", "readonly", (s) => storeGet.call(s, "aes-gcm-256"));

  async function readBlob(backend, origin, key) {
    if (backend === "local") return localStorage.getItem(names.localKey(origin, key));
    return (await transact(names.dataDb(origin), "blobs", "readonly", (s) => storeGet.call(s, key))) ?? null;
  }

  async function writeBlob(backend, origin, key, blob) {
    if (backend === "local") localStorage.setItem(names.localKey(origin, key), blob);
    else await transact(names.dataDb(origin), "blobs", "readwrite", (s) => s.put(blob, key));
  }

  async function decryptWith(cryptoKey, blob) {
    const { f, iv, ct } = JSON.parse(blob);
    if (f !== 1) throw new Error(`crypto envelope format ${f}`);
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: fromBase64(iv) }, cryptoKey, fromBase64(ct));
    return new TextDecoder("utf-8", { fatal: true }).decode(plain);
  }

  async function encryptWith(cryptoKey, plaintext, iv = crypto.getRandomValues(new Uint8Array(12))) {
    const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, cryptoKey, new TextEncoder().encode(plaintext));
    return JSON.stringify({ f: 1, iv: toBase64(iv), ct: toBase64(ct) });
  }

  const newKey = () => crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);

  // The stored key, or a new one added if none is stored (in one transaction, as WIRE.md's writers should).
  async function ensureKey(origin) {
    const candidate = await newKey();
    let stored;
    await transact(names.keyDb(origin), "keys", "readwrite", (s) => {
      const get = storeGet.call(s, "aes-gcm-256");
      get.onsuccess = () => {
        stored = get.result ?? candidate;
        if (!get.result) s.add(candidate, "aes-gcm-256");
      };
    });
    return stored;
  }

  globalThis.wire = {
    names,
    entries,
    databases,
    toBase64,
    fromBase64,
    readKey,
    readBlob,
    writeBlob,
    encryptWith,
    newKey,
    ensureKey,
    // What pysession wrote under storage key `key`: the blob text and its plaintext (null and why, if unreadable).
    async open(backend, origin, key) {
      const blob = await readBlob(backend, origin, key);
      if (blob === null) return null;
      const cryptoKey = await readKey(origin);
      if (!cryptoKey) return { blob, plaintext: null, error: "no key stored" };
      try {
        return { blob, plaintext: await decryptWith(cryptoKey, blob) };
      } catch (error) {
        return { blob, plaintext: null, error: `${error.name}: ${error.message}` };
      }
    },
    // Persist `plaintext` under `key` exactly as WIRE.md says a writer does.
    async persist(backend, origin, key, plaintext) {
      await writeBlob(backend, origin, key, await encryptWith(await ensureKey(origin), plaintext));
    },
    async keyFacts(origin) {
      const key = await readKey(origin);
      const refusal = async (format) => {
        try {
          await crypto.subtle.exportKey(format, key);
          return "exported";
        } catch (error) {
          return error.name;
        }
      };
      return {
        isCryptoKey: key instanceof CryptoKey,
        type: key.type,
        extractable: key.extractable,
        algorithm: { ...key.algorithm },
        usages: [...key.usages].sort(),
        raw: await refusal("raw"),
        jwk: await refusal("jwk"),
      };
    },
    // Every message on the session channel, as JSON text with its JS type, in arrival order.
    listen(origin, key) {
      const heard = [];
      const channel = new BroadcastChannel(names.channel(origin, key));
      channel.onmessage = (event) => {
        const data = event.data;
        const shape = data === null ? "null" : Array.isArray(data) ? "array" : typeof data;
        const text = JSON.stringify(data, (_, value) => (typeof value === "bigint" ? `${value}n` : value));
        heard.push([shape, Object.getPrototypeOf(data ?? 0) === Object.prototype, text]);
      };
      return { heard, close: () => channel.close() };
    },
    post(origin, key, message) {
      const channel = new BroadcastChannel(names.channel(origin, key));
      channel.postMessage(message);
      channel.close();
    },
  };
})();
