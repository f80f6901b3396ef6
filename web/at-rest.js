// What the browser holds at rest, read the way devtools' Application tab shows
// it: readAtRest(database, store, key) resolves to the stored value, or to
// undefined when there is none. It never creates the database: a database
// that does not exist yet is left for pysession to create (with its object
// store) by aborting the upgrade this open would otherwise start.
//
// Plain JS so that the page's Python can simply await it (no callbacks, no
// proxies). A classic script: it defines globalThis.readAtRest.
(() => {
  function readAtRest(database, store, key) {
    return new Promise((resolve, reject) => {
      const opening = indexedDB.open(database);
      opening.onupgradeneeded = () => opening.transaction.abort();
      opening.onerror = (event) => {
        event.preventDefault(); // the aborted upgrade: nothing is stored yet
        resolve(undefined);
      };
      opening.onsuccess = () => {
        const db = opening.result;
        if (!db.objectStoreNames.contains(store)) {
          db.close();
          resolve(undefined);
          return;
        }
        const transaction = db.transaction(store);
        const reading = transaction.objectStore(store).get(key);
        reading.onsuccess = () => resolve(reading.result);
        reading.onerror = () => reject(reading.error);
        transaction.oncomplete = transaction.onabort = () => db.close();
      };
    });
  }

  globalThis.readAtRest = readAtRest;
})();
