// A fake CIP-0103 wallet provider for tests and the demo: the requests and
// events of a real one, plus knobs to answer slowly, fail the way wallets fail,
// drop or switch party and network. With `shared: true` it behaves like a
// browser-extension wallet: its state lives in its own localStorage key and
// every change is posted on its own BroadcastChannel, so a new or reloaded tab
// finds it connected and every other tab's wallet emits the matching events
// (a connect in one tab is a statusChanged and an accountsChanged in each);
// options seed that shared state only while none is stored.
//
// A classic script: it defines globalThis.createMockWallet(options), options
// being connected, partyId, networkId, scenarios, delaysMs, connectDelayMs,
// connectError, shared, flavor, signedIn, userUrl. `scenarios` fails a method
// with a ProviderRpcError (an Error with `code`): {connect: "userRejected"},
// one of SCENARIOS below, or {connect: {code, message, data}}; `delaysMs`
// answers a method late ({connect: 200}). Both stay editable as
// wallet.scenarios and wallet.delaysMs.
//
// `flavor: "splice"` answers as the Canton Network's reference wallet gateway
// does through its dApp SDK (@canton-network/core-provider-dapp): the
// gateway's status, connect result and account shapes; failures as the SDK
// rejects them, `new Error("RPC error: <code> - <message>")` with no `code`;
// `statusChanged` then `connected` where the original's flavour (the default)
// emits `statusChanged` then `accountsChanged`; a network switch as a
// `statusChanged`, never `chainChanged`. `signedIn: false` (either flavour)
// makes connect answer the gateway's "not connected: sign in at userUrl"
// result until signIn().
//
// Besides the provider API, the wallet has its knobs (setParty, setNetwork,
// setConnected, drop, signIn, signOut), state() and subscribe(fn): fn() after
// every change of its state, from this tab or another, for a wallet UI to redraw.
(() => {
  const STATE_KEY = "mockwallet.state";
  const CHANNEL = "mockwallet";
  const PROVIDER = { id: "mock", version: "0", providerType: "browser" };
  const FLAVORS = ["original", "splice"];
  // Where a signed-out wallet sends the user (as pysession.testing.SIGN_IN_URL).
  const SIGN_IN_URL = "https://wallet.example/sign-in";

  // The original testing kit's named failures: EIP-1193 and JSON-RPC codes, as CIP-0103 wallets use them.
  const SCENARIOS = {
    userRejected: [4001, "User rejected the request"],
    insufficientTraffic: [-32002, "Insufficient traffic credits to submit the transaction"],
    synchronizerError: [4901, "Synchronizer error"],
    transactionTimeout: [-32003, "Transaction timed out"],
    genericError: [-32603, "RPC handler error"],
  };

  class ProviderRpcError extends Error {
    constructor(message, code, data) {
      super(message);
      this.name = "ProviderRpcError";
      this.code = code;
      if (data !== undefined) this.data = data;
    }
  }

  function scenarioError(scenario) {
    if (typeof scenario === "string" && Object.hasOwn(SCENARIOS, scenario)) {
      return new ProviderRpcError(SCENARIOS[scenario][1], SCENARIOS[scenario][0]);
    }
    if (Number.isInteger(scenario?.code) && typeof scenario.message === "string") {
      return new ProviderRpcError(scenario.message, scenario.code, scenario.data);
    }
    throw new TypeError(
      `mock wallet: a scenario is one of ${Object.keys(SCENARIOS).join(", ")} or {code, message}, not ${JSON.stringify(scenario)}`,
    );
  }

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
      scenarios: {},
      delaysMs: {},
      shared: false,
      flavor: "original",
      signedIn: true,
      userUrl: SIGN_IN_URL,
      ...options,
    };
    if (!FLAVORS.includes(settings.flavor)) {
      throw new TypeError(`mock wallet: flavor is one of ${FLAVORS.join(", ")}, not ${JSON.stringify(settings.flavor)}`);
    }
    const splice = settings.flavor === "splice";
    Object.values(settings.scenarios).forEach(scenarioError);
    const listeners = new Map();
    const subscribers = new Set();
    const channel = settings.shared ? new BroadcastChannel(CHANNEL) : null;
    let state = {
      signedIn: settings.signedIn,
      connected: settings.connected,
      partyId: settings.partyId,
      networkId: settings.networkId,
      ...(settings.shared ? readShared() : null),
    };

    // The gateway's ConnectResult: signed out, it says why and where to sign in.
    const connection = () =>
      state.signedIn
        ? { isConnected: state.connected, isNetworkConnected: state.connected }
        : { isConnected: false, isNetworkConnected: false, networkReason: "Unauthenticated", userUrl: settings.userUrl };

    function status() {
      if (!splice) {
        return { provider: PROVIDER, connection: { isConnected: state.connected }, network: { networkId: state.networkId } };
      }
      const { userUrl, ...link } = connection();
      return {
        provider: { id: "mock-wallet-gateway", providerType: "remote", userUrl: settings.userUrl },
        connection: link,
        network: { networkId: state.networkId, ledgerApi: "https://ledger.wallet.example" },
        ...(state.connected ? { session: { accessToken: "mock-access-token", userId: "mock-user" } } : null),
      };
    }

    function accounts() {
      if (!state.connected) return [];
      const account = {
        primary: true,
        partyId: state.partyId,
        status: splice ? "initialized" : "allocated",
        hint: state.partyId.split("::")[0],
        publicKey: "mock-public-key",
        namespace: "mock-namespace",
        networkId: state.networkId,
        signingProviderId: "mock-signer",
      };
      return [splice ? { ...account, disabled: false } : account];
    }

    // A failure as this flavour's provider rejects: the SDK keeps the code only in the text.
    const failure = (error) => (splice ? new Error(`RPC error: ${error.code} - ${error.message}`) : error);

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
      const connecting = state.connected && !before.connected;
      if (before.connected !== state.connected) emit("statusChanged", status());
      if (splice) {
        if (connecting) emit("connected", status());
        if (state.connected && !connecting && before.partyId !== state.partyId) emit("accountsChanged", accounts());
        if (state.connected && !connecting && before.networkId !== state.networkId) emit("statusChanged", status());
      } else {
        if (state.connected && (connecting || before.partyId !== state.partyId)) emit("accountsChanged", accounts());
        if (before.networkId !== state.networkId) emit("chainChanged", { networkId: state.networkId });
      }
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
      if (settings.connectError) throw new Error(settings.connectError);
      if (!state.signedIn) return connection();
      if (state.connected) {
        emit("statusChanged", status());
        emit(splice ? "connected" : "accountsChanged", splice ? status() : accounts());
      } else {
        apply({ connected: true });
      }
      return splice ? connection() : { isConnected: true };
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
      scenarios: { ...settings.scenarios },
      delaysMs: { connect: settings.connectDelayMs, ...settings.delaysMs },
      async request({ method, params } = {}) {
        const delay = wallet.delaysMs[method] ?? 0;
        if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
        if (wallet.scenarios[method] != null) throw failure(scenarioError(wallet.scenarios[method]));
        const handler = Object.hasOwn(methods, method) ? methods[method] : null;
        if (!handler) throw failure(new ProviderRpcError(`mock wallet: unsupported method ${method}`, 4200));
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
      // The wallet's own connection changing (its popup, its node): every tab's wallet emits the events.
      setConnected: (connected) => apply({ connected }),
      drop: () => apply({ connected: false }),
      // The user signs in at the wallet (its login page): it connects, and says so as the gateway does.
      signIn: () => apply({ signedIn: true, connected: true }),
      // The user signs out at the wallet: its connection ends, and connect answers "sign in" again.
      signOut: () => apply({ signedIn: false, connected: false }),
      close: () => channel?.close(),
    };
    return wallet;
  }

  globalThis.createMockWallet = createMockWallet;
})();
