/* A fake Canton wallet behind the reference dApp SDK's real providers (see test_splice_sdk.py).

Only the wallet is fake: the dApp's provider is DappSyncProvider or DappAsyncProvider of
@canton-network/core-provider-dapp, bundled by the test into window.cantonDappSdk. The wallet
answers in the shapes of the SDK's OpenRPC dApp API, and is reached one of three ways (`wiring`):

  "transport"  DappSyncProvider over an RpcTransport whose submit() resolves with the JSON-RPC
               response, so an error reaches the dApp as the SDK's
               Error("RPC error: <code> - <message>"); events go through the provider's emit,
               as the SDK's own notification wiring does.
  "extension"  DappSyncProvider over its default WindowTransport: the wallet answers
               SPLICE_WALLET_REQUEST messages on window as a browser extension does (an error
               reaches the dApp as the plain {code, message}) and sends events as JSON-RPC
               notifications (no id).
  "gateway"    DappAsyncProvider (a remote wallet gateway): its fetch and EventSource are
               answered in the page (an error reaches the dApp as the SDK's
               {error: {code: <HTTP status>, message, data: <the JSON-RPC body as text>}});
               events arrive over the event stream, a sign-in through the login page's
               SPLICE_WALLET_IDP_AUTH_SUCCESS message.

The wallet's state (signed in, this origin trusted, party, network, online) lives in
sessionStorage, so it outlives a reload of the dApp as a real wallet's does. A network switch
is only a statusChanged: there is no chainChanged.
*/
window.createSpliceWallet = ({ wiring, ...initial }) => {
  const STATE = "fake-splice-wallet";
  const GATEWAY = "https://gateway.example/api/v0/dapp";
  const USER_URL = "https://gateway.example/login/";
  const state = {
    signedIn: true, trusted: false, online: true, partyId: "alice::1220aa", networkId: "canton:devnet",
    ...initial, ...JSON.parse(sessionStorage.getItem(STATE) ?? "{}"),
  };
  const save = () => sessionStorage.setItem(STATE, JSON.stringify(state));
  save();
  const requests = [];
  const failures = {};
  const connected = () => state.signedIn && state.trusted && state.online;

  const accounts = () => [
    {
      primary: true, partyId: state.partyId, status: "initialized", hint: state.partyId.split("::")[0],
      publicKey: "MCowBQYDK2VwAyEAfake", namespace: state.partyId.split("::")[1], networkId: state.networkId,
      signingProviderId: "participant", disabled: false,
    },
    {
      primary: false, partyId: "treasury::1220bb", status: "allocated", hint: "treasury",
      publicKey: "MCowBQYDK2VwAyEAother", namespace: "1220bb", networkId: state.networkId,
      signingProviderId: "wallet-kernel", disabled: true, reason: "no signing provider matched",
    },
  ];
  const network = () => ({ networkId: state.networkId, ledgerApi: "https://ledger.example/api/json" });
  const connection = () => {
    if (!state.signedIn) {
      return { isConnected: false, isNetworkConnected: false, networkReason: "Unauthenticated", userUrl: USER_URL };
    }
    if (!state.online) return { isConnected: false, isNetworkConnected: false, networkReason: "Ledger unreachable" };
    return { isConnected: connected(), isNetworkConnected: true };
  };
  const status = () => ({
    provider: {
      id: wiring === "gateway" ? "remote:gateway.example" : "browser:fake-wallet", version: "1.8.0",
      providerType: wiring === "gateway" ? "remote" : "browser", userUrl: USER_URL,
    },
    connection: connection(),
    ...(state.signedIn ? { network: network(), session: { accessToken: "fake-jwt", userId: "alice" } } : {}),
  });

  const answers = {
    status,
    isConnected: connection,
    connect: () => {
      if (state.signedIn) state.trusted = true;
      save();
      return connection();
    },
    disconnect: () => {
      state.trusted = false;
      save();
      return null;
    },
    listAccounts: () => (connected() ? accounts() : []),
    getPrimaryAccount: () => accounts()[0],
    getActiveNetwork: network,
  };
  // The JSON-RPC response to a request: {result} or {error: {code, message}}.
  const respond = ({ id, method }) => {
    requests.push(method);
    const failure = failures[method];
    delete failures[method];
    if (failure) return { jsonrpc: "2.0", id, error: failure };
    if (!(method in answers)) return { jsonrpc: "2.0", id, error: { code: -32601, message: "Method not found" } };
    return { jsonrpc: "2.0", id, result: answers[method]() };
  };

  const streams = new Set();
  let provider, emit;
  if (wiring === "transport") {
    let next = 0;
    provider = new cantonDappSdk.DappSyncProvider({ submit: async (payload) => respond({ ...payload, id: ++next }) });
    emit = (event, payload) => provider.emit(event, payload);
  } else if (wiring === "extension") {
    addEventListener("message", ({ data }) => {
      if (data?.type !== "SPLICE_WALLET_REQUEST" || data.request?.id == null) return;
      postMessage({ type: "SPLICE_WALLET_RESPONSE", response: respond(data.request) }, "*");
    });
    provider = new cantonDappSdk.DappSyncProvider();
    emit = (event, payload) =>
      postMessage({ type: "SPLICE_WALLET_REQUEST", request: { jsonrpc: "2.0", method: event, params: payload } }, "*");
  } else {
    const fetch_ = window.fetch;
    window.fetch = async (url, init) => {
      if (!String(url).startsWith(GATEWAY)) return fetch_(url, init);
      // As the gateway's JSON-RPC handler does, a failed request is an HTTP error status with the JSON-RPC body.
      const answer = respond(JSON.parse(init.body));
      const [status, statusText] = "error" in answer ? [400, "Bad Request"] : [200, "OK"];
      return new Response(JSON.stringify(answer), { status, statusText, headers: { "Content-Type": "application/json" } });
    };
    const EventSource_ = window.EventSource;
    window.EventSource = function EventSource(url) {
      if (!String(url).startsWith(GATEWAY)) return new EventSource_(url);
      const stream = Object.assign(new EventTarget(), { url: String(url), onmessage: null, onerror: null });
      stream.close = () => streams.delete(stream);
      streams.add(stream);
      return stream;
    };
    provider = new cantonDappSdk.DappAsyncProvider(GATEWAY, state.signedIn ? "fake-jwt" : undefined);
    // The gateway sends an event's argument list as the data of a server-sent event.
    emit = (event, payload) =>
      streams.forEach((s) => s.dispatchEvent(new MessageEvent(event, { data: JSON.stringify([payload]) })));
  }

  return {
    provider,
    requests,
    streams,
    state,
    /** Answer the next `method` request with this JSON-RPC error. */
    failNext(method, code, message) {
      failures[method] = { code, message };
    },
    /** The user signs in at the login page (and approves this dApp); the wallet says so as it would. */
    async signIn() {
      Object.assign(state, { signedIn: true, trusted: true });
      save();
      if (wiring !== "gateway") return emit("statusChanged", status());
      // The login page hands the dApp its token; the provider opens the event stream and asks
      // `status` itself (emitting statusChanged), and the gateway greets the stream with `connected`.
      postMessage({ type: "SPLICE_WALLET_IDP_AUTH_SUCCESS", token: "fake-jwt", sessionId: "s1" }, "*");
      while (streams.size === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      emit("connected", status());
    },
    setParty(partyId) {
      state.partyId = partyId;
      save();
      emit("accountsChanged", accounts());
    },
    setNetwork(networkId) {
      state.networkId = networkId;
      save();
      emit("statusChanged", status());
    },
    /** The wallet loses its ledger: it says so, and answers "not connected" until recover(). */
    drop() {
      state.online = false;
      save();
      emit("statusChanged", status());
    },
    recover({ announce = false } = {}) {
      state.online = true;
      save();
      if (announce) emit("statusChanged", status());
    },
    listenerCount: () => Object.values(provider.listeners).reduce((n, list) => n + list.length, 0),
  };
};
