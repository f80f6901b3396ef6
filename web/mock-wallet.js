// A fake CIP-0103 wallet provider for tests and the demo: the requests and
// events of a real one, plus knobs to connect slowly, refuse, drop or switch
// party and network. With `shared: true` it behaves like a browser-extension
// wallet: its state lives in its own localStorage key and every change is
// posted on its own BroadcastChannel, so a new or reloaded tab finds it
// connected and the other tabs hear the matching events; options seed that
// shared state only while none is stored.
//
// A classic script: it defines globalThis.createMockWallet(options), options
// being connected, partyId, networkId, connectDelayMs, connectError, shared.
// Besides the provider API, the wallet has its knobs (setParty, setNetwork,
// drop, refuseReconnects), state() and subscribe(fn): fn() after every change
// of its state, from this tab or another, for a wallet UI to redraw.
(() => {
  const STATE_KEY = "mockwallet.state";
  const CHANNEL = "mockwallet";
  const PROVIDER = { id: "mock", version: "0", providerType: "browser" };

  function readShared() {
    try {
      return JSON.parse(localStorage.getItem(STATE_KEY));
    } catch {
      return null;
    }
  }

  function createMockWallet(options = {}) {
    const settings = {
      connected: false,
      partyId: "party::mock-1",
      networkId: "canton:da-devnet",
      connectDelayMs: 0,
      connectError: null,
      shared: false,
      ...options,
    };
    const listeners = new Map();
    const subscribers = new Set();
    const channel = settings.shared ? new BroadcastChannel(CHANNEL) : null;
    let state = {
      connected: settings.connected,
      partyId: settings.partyId,
      networkId: settings.networkId,
      ...(settings.shared ? readShared() : null),
    };
    let connectError = settings.connectError;

    const status = () => ({
      provider: PROVIDER,
      connection: { isConnected: state.connected },
      network: { networkId: state.networkId },
    });

    const accounts = () =>
      state.connected
        ? [
            {
              primary: true,
              partyId: state.partyId,
              status: "allocated",
              hint: state.partyId.split("::")[0],
              publicKey: "mock-public-key",
              namespace: "mock-namespace",
              networkId: state.networkId,
              signingProviderId: "mock-signer",
            },
          ]
        : [];

    function emit(event, ...args) {
      const registered = [...(listeners.get(event) ?? [])];
      for (const listener of registered) {
        try {
          listener(...args);
        } catch (error) {
          reportError(error);
        }
      }
      return registered.length > 0;
    }

    // The one way state changes: emits the events the change implies, and in
    // shared mode persists it and tells the other tabs (which call this with
    // share = false when they hear it).
    function apply(patch, share = true) {
      const before = state;
      state = { ...state, ...patch };
      if (settings.shared && share) {
        localStorage.setItem(STATE_KEY, JSON.stringify(state));
        channel.postMessage(state);
      }
      if (before.connected !== state.connected) emit("statusChanged", status());
      if (state.connected && (!before.connected || before.partyId !== state.partyId)) emit("accountsChanged", accounts());
      if (before.networkId !== state.networkId) emit("chainChanged", { networkId: state.networkId });
      for (const subscriber of [...subscribers]) {
        try {
          subscriber();
        } catch (error) {
          reportError(error);
        }
      }
    }

    if (channel) {
      if (!readShared()) localStorage.setItem(STATE_KEY, JSON.stringify(state));
      channel.onmessage = (event) => apply(event.data, false);
    }

    async function connect() {
      if (wallet.connectDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, wallet.connectDelayMs));
      if (connectError) throw new Error(connectError);
      if (state.connected) {
        emit("statusChanged", status());
        emit("accountsChanged", accounts());
      } else {
        apply({ connected: true });
      }
      return { isConnected: true };
    }

    const methods = {
      connect,
      disconnect: async () => {
        apply({ connected: false });
        return null;
      },
      status: async () => status(),
      listAccounts: async () => accounts(),
      getActiveNetwork: async () => ({ networkId: state.networkId }),
    };

    const wallet = {
      connectDelayMs: settings.connectDelayMs,
      request({ method, params } = {}) {
        const handler = methods[method];
        if (!handler) return Promise.reject(Object.assign(new Error(`mock wallet: unsupported method ${method}`), { code: 4200 }));
        return handler(params);
      },
      on(event, listener) {
        if (!listeners.has(event)) listeners.set(event, []);
        listeners.get(event).push(listener);
        return wallet;
      },
      removeListener(event, listener) {
        const registered = listeners.get(event) ?? [];
        const index = registered.indexOf(listener);
        if (index >= 0) registered.splice(index, 1);
        return wallet;
      },
      emit,
      listenerCount: (event) => (listeners.get(event) ?? []).length,
      state: () => ({ ...state }),
      subscribe(subscriber) {
        subscribers.add(subscriber);
        return () => subscribers.delete(subscriber);
      },
      setParty: (partyId) => apply({ partyId }),
      setNetwork: (networkId) => apply({ networkId }),
      drop: () => apply({ connected: false }),
      refuseReconnects(refuse = true) {
        connectError = refuse ? "mock wallet: connection refused" : null;
      },
      close: () => channel?.close(),
    };
    return wallet;
  }

  globalThis.createMockWallet = createMockWallet;
})();
