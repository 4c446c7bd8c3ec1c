// A participant's wallet actions on its credits: transfer (ERC-1155 safeTransferFrom) and retire
// (CarbonCredits.retire with its RetireInfo), each sent by the wallet itself with EIP-1193
// eth_sendTransaction. After the receipt, the row's live and retired amounts are read back from
// the chain (balanceOf and the account's Retired events), not from the API.
import { Contract, Interface, JsonRpcProvider, ZeroAddress, getAddress } from "ethers";

const ABI = [
  "function safeTransferFrom(address from, address to, uint256 id, uint256 value, bytes data)",
  "function retire(uint256 id, uint256 amount, (string beneficiary, address beneficiaryAddress, uint64 periodStart, uint64 periodEnd, bytes2 country, string purpose) info)",
  "function balanceOf(address account, uint256 id) view returns (uint256)",
  "event Retired(uint256 indexed id, address indexed account, address indexed beneficiaryAddress, uint256 amount, string beneficiary, uint64 periodStart, uint64 periodEnd, bytes2 country, string purpose)",
];
const credits = new Interface(ABI);

async function send(from, to, data) {
  return window.ethereum.request({ method: "eth_sendTransaction", params: [{ from, to, data }] });
}

async function refresh(row, contract, account, id) {
  const held = await contract.balanceOf(account, id);
  const retired = (await contract.queryFilter(contract.filters.Retired(id, account), 0))
    .reduce((sum, e) => sum + e.args.amount, 0n);
  row.querySelector("[data-units='held']").textContent = `${held} kg`;
  row.querySelector("[data-units='retired']").textContent = `${retired} kg`;
}

const table = document.getElementById("holdings");
const me = document.getElementById("me");
if (table && table.dataset.credits && me && window.ethereum) {
  const provider = new JsonRpcProvider(table.dataset.rpc, undefined, { staticNetwork: true });
  const address = getAddress(table.dataset.credits);
  const contract = new Contract(address, ABI, provider);
  const account = getAddress(me.dataset.address);
  for (const row of table.querySelectorAll("tr[data-credit]")) {
    const id = BigInt(row.dataset.credit);
    const status = row.querySelector(".status");
    const act = async (event, data) => {
      event.preventDefault();
      const buttons = row.querySelectorAll("button");
      buttons.forEach((b) => { b.disabled = true; });
      status.textContent = "…";
      delete status.dataset.tx;
      try {
        const hash = await send(account, address, data());
        const receipt = await provider.waitForTransaction(hash, 1, 60_000);
        if (!receipt || receipt.status !== 1) throw new Error(`transaction ${hash} reverted`);
        await refresh(row, contract, account, id);
        status.dataset.tx = hash;
        status.textContent = `✓ ${hash.slice(0, 10)}…`;
      } catch (err) {
        status.textContent = `✗ ${err.shortMessage || err.message}`;
      } finally {
        buttons.forEach((b) => { b.disabled = false; });
      }
    };
    const transfer = row.querySelector("form.transfer");
    transfer?.addEventListener("submit", (event) => act(event, () => credits.encodeFunctionData(
      "safeTransferFrom", [account, getAddress(transfer.elements.to.value.trim()), id, BigInt(transfer.elements.amount.value), "0x"])));
    const retire = row.querySelector("form.retire");
    retire?.addEventListener("submit", (event) => act(event, () => credits.encodeFunctionData("retire", [id, BigInt(retire.elements.amount.value), {
      beneficiary: retire.elements.beneficiary.value, beneficiaryAddress: ZeroAddress,
      periodStart: 0n, periodEnd: 0n, country: "0x434e", purpose: retire.elements.purpose.value,
    }])));
  }
}
