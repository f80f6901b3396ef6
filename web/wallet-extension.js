// The mock wallet installed the way a browser-extension wallet installs itself:
// a CIP-0103 provider at window.canton, there before any page code runs. In
// shared mode its state (connected, party, network) lives in its own storage
// and is shared by every tab of the origin, like an extension's.
//
// A page's "Mock extension" card (#wallet-card), when it has one, stands in for
// the extension's popup: what the user does in the wallet, outside the dApp.
// It is plain JS on purpose; the dApp (web/demo.py) only sees the provider's
// events, as it would with a real wallet. The card is also the wallet's sign-in
// page: a signed-out wallet sends the user there (its userUrl).
//
// A classic script, loaded with defer after mock-wallet.js: the document is
// parsed when it runs, and PyScript starts after it.
(() => {
  const PARTIES = ["alice::1220f1a2b3c4", "bob::1220d5e6f7a8", "carol::1220b9c0d1e2"];
  const NETWORKS = ["canton:da-devnet", "canton:da-testnet", "canton:da-mainnet"];

  const wallet = createMockWallet({ shared: true, partyId: PARTIES[0], networkId: NETWORKS[0], userUrl: "#wallet-card" });
  window.canton = wallet;

  const next = (list, current) => list[(list.indexOf(current) + 1) % list.length];
  const byId = (id) => document.getElementById(id);
  if (!byId("wallet-card")) return;

  function render() {
    const { signedIn, connected, partyId, networkId } = wallet.state();
    byId("wallet-connected").textContent = connected ? "yes" : "no";
    byId("wallet-party").textContent = partyId;
    byId("wallet-network").textContent = networkId;
    byId("drop").disabled = !connected;
    byId("wallet-reconnect").disabled = connected || !signedIn;
    byId("signed-in").checked = signedIn;
  }

  byId("switch-party").addEventListener("click", () => wallet.setParty(next(PARTIES, wallet.state().partyId)));
  byId("switch-network").addEventListener("click", () => wallet.setNetwork(next(NETWORKS, wallet.state().networkId)));
  // A dropped wallet stays dropped (its status says not connected) until the user reconnects it here.
  byId("drop").addEventListener("click", () => wallet.drop());
  byId("wallet-reconnect").addEventListener("click", () => wallet.setConnected(true));
  // Signing in connects the wallet in every tab, as a wallet gateway's login does; signing out ends its session.
  byId("signed-in").addEventListener("change", (event) => (event.target.checked ? wallet.signIn() : wallet.signOut()));
  // Like a user declining every prompt of this tab: connect (and re-auth) rejects with 4001.
  byId("refuse").addEventListener("change", (event) => {
    wallet.scenarios.connect = event.target.checked ? "userRejected" : null;
  });

  wallet.subscribe(render);
  render();
})();
