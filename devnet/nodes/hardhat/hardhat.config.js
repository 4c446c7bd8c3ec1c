// Hardhat Network (EDR) as a plain JSON-RPC node for ESS Ledger's second-node tests.
// Settings come from the environment (devnet/hardhat.py sets them):
//   ESSL_NODE_CHAIN_ID  chain id (default 1337: not the anvil devnet's 31337)
//   ESSL_NODE_BLOCK_MS  mine a block every N ms on a timer, never on each transaction
//   ESSL_NODE_KEYS      comma-separated private keys to fund (no well-known keys are funded)
const keys = (process.env.ESSL_NODE_KEYS || "").split(",").filter(Boolean);
if (keys.length === 0) throw new Error("ESSL_NODE_KEYS: give the private keys to fund");

module.exports = {
  networks: {
    hardhat: {
      chainId: Number(process.env.ESSL_NODE_CHAIN_ID || 1337),
      hardfork: "london",
      mining: { auto: false, interval: Number(process.env.ESSL_NODE_BLOCK_MS || 1000) },
      accounts: keys.map((privateKey) => ({ privateKey, balance: "1000000000000000000000000" })),
      loggingEnabled: false,
    },
  },
};
