"""Page texts in Chinese (the default) and English. The language comes from `?lang=` (which the
page remembers in a cookie) or the cookie alone; anything else falls back to zh-CN."""

from __future__ import annotations

from fastapi import Request

LANGS = ("zh-CN", "en")
DEFAULT_LANG = "zh-CN"
COOKIE = "essl_lang"

# key -> (zh-CN, en)
TEXTS: dict[str, tuple[str, str]] = {
    "app": ("ESS 共享储能账本", "ESS Ledger"),
    "stations": ("储能电站", "Stations"),
    "station": ("电站", "Station"),
    "credits": ("碳减排量", "Credits"),
    "credit": ("碳减排量", "Credit"),
    "factors": ("排放因子", "Emission factors"),
    "report": ("区间报告", "Interval report"),
    "language": ("English", "中文"),
    "not_found": ("未找到", "Not found"),
    "region": ("区域", "Region"),
    "operator": ("运营方", "Operator"),
    "rated_power": ("额定功率", "Rated power"),
    "capacity": ("容量", "Capacity"),
    "efficiency": ("往返效率", "Round-trip efficiency"),
    "interval_length": ("区间长度", "Interval length"),
    "grid_start": ("区间网格起点", "Grid start"),
    "external_code": ("外部编码", "External code"),
    "intervals_on_chain": ("链上区间数", "Intervals on-chain"),
    "latest_interval": ("最新区间", "Latest interval"),
    "participants": ("参与方与租赁", "Participants and leases"),
    "participant": ("参与方", "Participant"),
    "booked_lines": ("各参与方本区间记账", "Each participant's booked line"),
    "leased": ("租赁容量", "Leased"),
    "valid": ("有效期", "Valid"),
    "oracle_set": ("预言机集合", "Oracle set"),
    "threshold": ("门限", "Threshold"),
    "version": ("版本", "Version"),
    "signers": ("签名者", "Signers"),
    "devices": ("计量设备", "Devices"),
    "device": ("设备", "Device"),
    "kind": ("类型", "Kind"),
    "signing_key": ("签名密钥", "Signing key"),
    "active": ("有效", "Active"),
    "day_view": ("日视图", "Day view"),
    "day": ("日期", "Day"),
    "prev_day": ("前一天", "Previous day"),
    "next_day": ("后一天", "Next day"),
    "soc_soh": ("荷电状态 SOC 与健康状态 SOH", "State of charge (SOC) and health (SOH)"),
    "energy_per_interval": (
        "各参与方每区间充放电量（kWh，堆叠）",
        "Charged / discharged per participant and interval (kWh, stacked)",
    ),
    "curtailed_share": (
        "电网调度认证的弃电充电占比",
        "Curtailed share of charging attested by the grid operator",
    ),
    "alarms": ("告警", "Alarms"),
    "intervals": ("区间", "Intervals"),
    "start": ("开始", "Start"),
    "readings": ("读数", "Readings"),
    "rejected": ("拒绝", "Rejected"),
    "tx": ("交易", "Transaction"),
    "block": ("区块", "Block"),
    "charged": ("充电", "Charged"),
    "discharged": ("放电", "Discharged"),
    "curtailed": ("弃电认证", "Curtailed (attested)"),
    "losses": ("损耗", "Losses"),
    "avoided": ("减排量", "Avoided"),
    "soc": ("SOC", "SOC"),
    "soh": ("SOH", "SOH"),
    "cycles": ("循环次数", "Cycles"),
    "no_intervals": ("该日没有链上区间。", "No intervals on-chain for this day."),
    "fields": ("字段", "Fields"),
    "digest": ("报告摘要", "Report digest"),
    "readings_root": ("读数默克尔根", "Readings Merkle root"),
    "factor_version": ("因子版本", "Factor version"),
    "factor": ("排放因子", "Emission factor"),
    "oracle_signatures": (
        "预言机签名（合约恢复的签名者）",
        "Oracle signatures (signers recovered by the contract)",
    ),
    "in_set": ("属于链上集合", "In the on-chain set"),
    "batch": ("读数批次", "Reading batch"),
    "batch_missing": ("归档中没有该批次文件。", "The archive has no file for this batch."),
    "leaf": ("叶子", "Leaf"),
    "proof": ("默克尔证明", "Merkle proof"),
    "page": ("页", "Page"),
    "of": ("/", "of"),
    "prev": ("上一页", "Previous"),
    "next": ("下一页", "Next"),
    "up_station": ("返回电站日视图", "Up to the station's day"),
    "download_batch": ("下载批次文件", "Download the batch file"),
    "state": ("状态", "State"),
    "vintage": ("减排期间", "Vintage"),
    "issued": ("签发", "Issued"),
    "live": ("流通", "Live"),
    "retired": ("注销", "Retired"),
    "revoked": ("撤销", "Revoked"),
    "no_credits": ("尚无碳减排量。", "No credits yet."),
    "lineage": ("溯源链", "Lineage"),
    "retirements": ("注销记录", "Retirements"),
    "transfers": ("转让记录", "Transfers"),
    "issuance": ("签发申请与审批", "Issuance request and approval"),
    "avoided_account": ("减排账户与因子版本", "Avoided account and factor version"),
    "reports": ("区间报告", "Interval reports"),
    "batches": ("读数批次", "Reading batches"),
    "requester": ("申请人", "Requester"),
    "verifier": ("核证方", "Verifier"),
    "requested": ("申请量", "Requested"),
    "approved": ("已批准", "Approved"),
    "rejected_state": ("已拒绝", "Rejected"),
    "pending": ("待审批", "Pending"),
    "consumed": ("已消耗", "Consumed"),
    "holders": ("持有人", "Holders"),
    "beneficiary": ("受益人", "Beneficiary"),
    "purpose": ("用途", "Purpose"),
    "country": ("国家", "Country"),
    "amount": ("数量", "Amount"),
    "from": ("自", "From"),
    "to": ("至", "To"),
    "methodology": ("方法学版本", "Methodology version"),
    "reports_root": ("报告集默克尔根", "Reports root"),
    "in_house": (
        "内部核算减排量（非 CCER），1 单位 = 1 kg CO2e",
        "In-house credits (not CCER), 1 unit = 1 kg CO2e",
    ),
    "source": ("来源", "Source"),
    "dataset_hash": ("数据集哈希", "Dataset hash"),
    "valid_from": ("生效", "Valid from"),
    "valid_to": ("失效", "Valid to"),
    "verify_title": ("在浏览器中验证", "Verify in your browser"),
    "verify_explain": (
        "浏览器直接从下方 JSON-RPC 节点读取链上的默克尔根、设备密钥和预言机集合，"
        "下载批次文件，重新计算每个默克尔根并检查每个设备签名；不使用本服务的 JSON 应答。",
        "Your browser reads the on-chain roots, device keys and oracle set straight from the "
        "JSON-RPC endpoint below, fetches the batch files, recomputes every Merkle root and "
        "checks every device signature; it does not use this service's JSON answers.",
    ),
    "rpc_endpoint": ("JSON-RPC 节点", "JSON-RPC endpoint"),
    "verify_button": ("开始验证", "Verify"),
    "verify_needs_js": ("验证需要启用 JavaScript。", "Verification needs JavaScript."),
    "verify_unavailable": (
        "本服务未连接区块链，无法提供合约地址。",
        "This service runs without a chain connection: no contract addresses to verify against.",
    ),
    "verify_ok": ("验证通过", "Verified"),
    "verify_failed": ("验证失败", "Verification failed"),
    "chain": ("链", "Chain"),
    "alarm_none": ("无", "none"),
    "me": ("我的账户", "My account"),
    "sign_in": ("用钱包登录", "Sign in with your wallet"),
    "sign_in_explain": (
        "钱包对本服务给出的登录消息签名（personal_sign），无需密码；签名只证明账户归属。",
        "Your wallet signs the sign-in message this service gives (personal_sign); no password. "
        "The signature only proves that you hold the account.",
    ),
    "no_wallet": ("未检测到浏览器钱包（EIP-1193）。", "No browser wallet (EIP-1193) found."),
    "sign_out": ("退出", "Sign out"),
    "signed_in_as": ("已登录", "Signed in as"),
    "roles": ("角色", "Roles"),
    "accounts": ("各电站能量账户", "Energy accounts per station"),
    "balance": ("储存余额", "Stored"),
    "unissued": ("未签发减排量", "Un-issued avoided"),
    "my_credits": ("持有的碳减排量", "Credits held"),
    "frozen": ("冻结", "Frozen"),
    "settlement": ("结算单", "Settlement statements"),
    "period": ("结算日", "Period"),
    "net": ("净额", "Net"),
    "response": ("确认状态", "Response"),
    "line": ("我的结算行", "My line"),
    "acknowledge": ("确认", "Acknowledge"),
    "dispute": ("异议", "Dispute"),
    "dispute_reason": ("异议理由", "Reason for the dispute"),
    "transfer": ("转让", "Transfer"),
    "retire": ("注销", "Retire"),
    "to_address": ("接收地址", "To address"),
    "amount_kg": ("数量 (kg)", "Amount (kg)"),
    "operators": ("运营与监管", "Operators"),
    "oracle_health": ("预言机运行状况", "Oracle health"),
    "last_interval": ("最新入账区间", "Last interval booked"),
    "lag": ("延迟", "Lag"),
    "gaps": ("显式缺口", "Explicit gaps"),
    "indexed_block": ("已索引区块", "Indexed block"),
    "curtailment": ("弃电认证", "Curtailment attestations"),
    "attested_intervals": ("认证区间数", "Intervals attested"),
    "acknowledged": ("已确认", "Acknowledged"),
    "disputed": ("有异议", "Disputed"),
    "deadline": ("响应截止", "Response deadline"),
    "reason_hash": ("理由哈希", "Reason hash"),
    "participants_count": ("参与方数", "Participants"),
    "quarantine_note": (
        "被拒读数及其原文在预言机节点本地的隔离区（essl oracle quarantine），不在链上；"
        "按原因代码的计数随批次文件公开，见下表。",
        "Rejected readings and their payloads stay in each oracle node's own quarantine (essl "
        "oracle quarantine), not on-chain; their counts by reason code are published with the "
        "batch files, in the table below.",
    ),
    "download_csv": ("下载我的结算行 CSV", "Download my lines as CSV"),
    "home_intro": (
        "共享储能电站的链上账本：各参与方的充放电账户、碳减排量及其到签名计量读数的完整溯源。",
        "The on-chain ledger of shared battery stations: each participant's energy account, "
        "carbon credits and their lineage down to the signed meter readings.",
    ),
    # battery passports (api/console/passport.py)
    "passports": ("电池护照", "Battery passports"),
    "passport": ("电池护照", "Battery passport"),
    "passport_intro": (
        "每个电池包的身份、状态、前序护照（梯次利用）、流转足迹与安装记录，均来自链上事件；"
        "健康数据仅向所有者、持有者、电站运营方、回收方和监管方开放（欧盟 2023/1542 附件 XIII）。",
        "Each pack's identity, status, predecessor chain (second life), custody and installations, "
        "from the chain's events; health data only for the owner, holder, station operator, "
        "recycler and regulator (EU 2023/1542 Annex XIII).",
    ),
    "passport_id": ("护照编号（ISO/IEC 15459）", "Passport id (ISO/IEC 15459)"),
    "gbt_code": ("GB/T 34014 编码", "GB/T 34014 code"),
    "original_code": ("原始编码", "Original code"),
    "category": ("类别", "Category"),
    "status": ("状态", "Status"),
    "owner": ("所有者", "Owner"),
    "holder": ("持有者", "Holder"),
    "closed": ("已关闭", "closed"),
    "no_passports": ("尚无电池护照。", "No battery passports yet."),
    "manufacturer": ("制造商", "Manufacturer"),
    "chemistry": ("化学体系", "Chemistry"),
    "rated_capacity": ("额定能量", "Rated energy"),
    "nominal_voltage": ("标称电压", "Nominal voltage"),
    "expected_cycles": ("预期循环寿命", "Expected cycle life"),
    "manufactured": ("生产日期", "Manufactured"),
    "carbon_footprint": ("碳足迹", "Carbon footprint"),
    "authority_documents": ("仅限主管机关的文件（哈希）", "Authority-only documents (hash)"),
    "predecessor_chain": ("前序护照链", "Predecessor chain"),
    "successor": ("后继护照", "Successor"),
    "timeline": ("流转足迹与安装记录", "Custody and installation timeline"),
    "event": ("事件", "Event"),
    "detail": ("详情", "Detail"),
    "ev_created": ("创建护照", "Passport created"),
    "ev_custody": ("所有权/持有变更", "Custody changed"),
    "ev_installed": ("安装入站", "Installed"),
    "ev_removed": ("从电站移除", "Removed"),
    "ev_status": ("状态变更", "Status changed"),
    "ev_repair": ("维修记录", "Repair recorded"),
    "health": ("健康状态", "Health"),
    "health_restricted": (
        "健康数据（SOH、循环、吞吐量、温度、不良事件）仅向具有合法利益的相关方开放。",
        "Health data (SOH, cycles, throughput, temperatures, negative events) is for those "
        "with a legitimate interest only.",
    ),
    "sign_in_first": ("请先登录", "Sign in first"),
    "no_snapshots": ("尚无健康快照。", "No health snapshots yet."),
    "cycles_throughput": ("循环次数与累计充放电量", "Cycle count and energy throughput"),
    "temperatures": ("电芯温度（最低/最高）", "Cell temperatures (min / max)"),
    "temp_min": ("最低温度", "Min temperature"),
    "temp_max": ("最高温度", "Max temperature"),
    "assessment": ("残值评估与安全预警（模型 v1）", "Residual value and safety (model v1)"),
    "output": ("输出", "Output"),
    "value": ("数值", "Value"),
    "rule": ("规则", "Rule"),
    "inputs": ("输入", "Inputs"),
    "snapshots": ("每日健康快照", "Daily health snapshots"),
    "negative_events": ("深放/过充/过温", "Deep discharge / overcharge / over-temp"),
    # the operators' page actions
    "run_day": ("结算并上链一天", "Run and anchor a day"),
    "local_day": ("本地日（UTC+8）", "Local day (UTC+8)"),
    "allow_partial": ("允许缺少区间报告", "Allow missing interval reports"),
    "run_and_anchor": ("结算并锚定", "Settle and anchor"),
    "run_note": (
        "调用 POST /v1/settlements（与任何客户端相同的接口，使用您的登录令牌），"
        "由 API 用其密钥锚定；结果或接口的错误信息显示在表单下方。",
        "Calls POST /v1/settlements (the same route as any client, with your sign-in token); the "
        "API anchors with its own key. The answer, or the API's error, appears under the form.",
    ),
    "window_ends": ("异议窗口结束", "Dispute window ends"),
    "finalize": ("终结", "Finalize"),
    "finalize_note": (
        "异议窗口结束后，任何人都可终结待定的结算单：钱包发送 SettlementAnchor.finalize，"
        "随后从链上读取状态（最终或有异议）。窗口未结束时显示合约的错误名。",
        "After its dispute window anyone may finalize a pending statement: the wallet sends "
        "SettlementAnchor.finalize and the state (Final or Disputed) is then read from the chain. "
        "Before the window ends the contract's error name is shown.",
    ),
    "attest_curtailment": ("认证弃电充电", "Attest curtailed charging"),
    "interval_start_local": ("区间开始（中国时间）", "Interval start (China time)"),
    "curtailed_wh": ("弃电量 Wh", "Curtailed Wh"),
    "attest": ("认证", "Attest"),
    "attest_note": (
        "电网运营方认证区间内各参与方充电中来自弃风弃光的电量（排放因子 0）："
        "与 essl curtailment attest 相同的 attestCurtailment 调用，"
        "发送前按链上该区间报告的充电量检查，由钱包签名发送，之后从链上读回。",
        "The grid operator attests how much of each participant's charging in the interval came "
        "from curtailed renewables (factor 0): the same attestCurtailment call as essl curtailment "
        "attest, checked against the interval's booked charge on-chain before the wallet sends "
        "it, then read back from the chain.",
    ),
    "st_none": ("未知", "unknown"),
    "st_pending": ("待定", "Pending"),
    "st_final": ("最终", "Final"),
    "st_disputed": ("有异议", "Disputed"),
    "st_superseded": ("已被取代", "Superseded"),
    "js_reverted": ("合约拒绝", "reverted"),
    "js_sign_in_again": ("令牌不在此标签页中：请重新登录", "no token in this tab: sign in again"),
    "js_supersedes": ("取代版本", "supersedes"),
    "js_lines": ("行", "lines"),
    "js_reused": ("该根已锚定，未发送交易", "root already anchored, nothing sent"),
    "js_not_a_time": ("不是时间", "is not a time"),
    "js_not_booked": ("该区间没有已上链的报告：", "no booked report for interval"),
    "js_no_charges": ("请至少填写一个参与方及其 Wh", "give at least one participant and its Wh"),
    "js_charged_there": ("（该参与方在此区间的充电量）", "(what it charged in the interval)"),
    # quarantined readings by reason code (from the batch files' `rejected` counts)
    "quarantine_by_reason": ("按原因代码统计的隔离读数", "Quarantined readings by reason code"),
    "reason_code": ("原因代码", "Reason code"),
    "count": ("数量", "Count"),
    "total": ("合计", "Total"),
    "batches_with_counts": ("个报告的批次文件带计数", "reports' batch files carry counts"),
    "quarantine_archive_note": (
        "每个区间批次文件中的 rejected 计数（预言机写入的元数据，不在 Merkle 根内）。"
        "没有任何读数被接受的区间（显式缺口）没有批次文件，其被拒读数只在节点的隔离区中。",
        "The rejected counts each interval's batch file carries (metadata written by the oracle, "
        "outside the Merkle root). An interval with no accepted reading (an explicit gap) has no "
        "batch file: its rejects are only in the node's quarantine.",
    ),
    # verifiers' and regulators' page (api/console/review.py)
    "review": ("审核与监管", "Review"),
    "review_intro": (
        "核证方审批或驳回签发申请，监管方撤销有效的碳减排量；每笔交易由您的钱包签名并发送，"
        "回执后的状态从链上读取。",
        "Verifiers approve or reject issuance requests, regulators revoke live credits; your "
        "wallet signs and sends each transaction, and the state after its receipt is read from "
        "the chain.",
    ),
    "pending_requests": ("待审批的签发申请", "Pending issuance requests"),
    "live_credits": ("有效的碳减排量", "Live credits"),
    "request_id": ("申请编号", "Request"),
    "requested_amount": ("申请量", "Requested"),
    "approve": ("批准", "Approve"),
    "reject": ("驳回", "Reject"),
    "revoke": ("撤销", "Revoke"),
    "reject_reason": ("驳回理由", "Reason for the rejection"),
    "revoke_reason": ("撤销理由", "Reason for the revocation"),
    "reason_required": ("请填写理由。", "A reason is required."),
    "no_pending": ("没有待审批的申请。", "No pending requests."),
    "no_live": ("没有有效的碳减排量。", "No live credits."),
    "chain_state": ("链上状态", "On-chain state"),
    "reverted": ("交易被合约拒绝", "Reverted"),
    "needs_verifier": (
        "审批与驳回需要核证方角色。",
        "Approving and rejecting need the verifier role.",
    ),
    "needs_regulator": ("撤销需要监管方角色。", "Revoking needs the regulator role."),
    "reason_unknown": ("理由原文未记录", "reason text not recorded"),
    # a rejection's / revocation's reason: kept through the API before the wallet sends
    "reason_not_kept": ("理由未能保存，交易未发送", "The reason was not kept; nothing was sent"),
    "reason_mismatch": (
        "服务器返回的理由哈希与本页计算的不符，交易未发送",
        "The server's reason hash differs from this page's keccak256; nothing was sent",
    ),
    "rejection": ("驳回", "Rejection"),
    "revocation": ("撤销", "Revocation"),
    "regulator": ("监管方", "Regulator"),
    "reason": ("理由", "Reason"),
    "no_reason": ("未附理由", "no reason given"),
}

PASSPORT_STATUS = {
    "none": ("无", "none"),
    "original": ("原始", "original"),
    "reused": ("再使用", "re-used"),
    "repurposed": ("梯次利用", "repurposed"),
    "remanufactured": ("再制造", "remanufactured"),
    "waste": ("废弃", "waste"),
}
PASSPORT_CATEGORY = {
    "ev": ("电动汽车电池", "EV battery"),
    "industrial": ("工业电池", "industrial battery"),
    "lmt": ("轻型交通工具电池", "LMT battery"),
    "sli": ("起动电池", "SLI battery"),
}

KINDS = {0: ("电能表", "revenue meter"), 1: ("电池管理系统 BMS", "BMS"), 2: ("网关", "gateway")}
STATES = {
    "requested": ("待审批", "requested"),
    "rejected": ("已拒绝", "rejected"),
    "live": ("有效", "live"),
    "revoked": ("已撤销", "revoked"),
}


def pick_lang(request: Request) -> str:
    asked = request.query_params.get("lang") or request.cookies.get(COOKIE)
    return asked if asked in LANGS else DEFAULT_LANG


def translator(lang: str) -> Translator:
    return Translator(lang)


class Translator:
    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._i = 0 if lang == "zh-CN" else 1

    def __call__(self, key: str) -> str:
        return TEXTS[key][self._i]  # a missing key is a bug: fail loudly in tests

    def kind(self, kind: int) -> str:
        return KINDS.get(kind, (str(kind), str(kind)))[self._i]

    def state(self, state: str) -> str:
        return STATES.get(state, (state, state))[self._i]

    def passport_status(self, status: str) -> str:
        return PASSPORT_STATUS.get(status, (status, status))[self._i]

    def passport_category(self, category: str) -> str:
        return PASSPORT_CATEGORY.get(category, (category, category))[self._i]
