// SPDX-License-Identifier: AGPL-3.0-or-later
pragma solidity ^0.8.26;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC3009} from "@openzeppelin/contracts/interfaces/draft-IERC3009.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {LowLevelCall} from "@openzeppelin/contracts/utils/LowLevelCall.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

/// @title X402Splitter
/// @notice Takes payment against an invoice signed by the hub and splits it between the video's
///         creator, the tenant and the hub in the same transaction. Three ways to pay: the native
///         coin (`payNative`), an ERC-20 the payer approved (`payToken`), or an EIP-3009
///         `receiveWithAuthorization` the payer signed, submitted by anyone (`payWithAuthorization`,
///         the HTTP 402 path). Every successful payment emits exactly one `Paid` event.
/// @dev The invoice is EIP-712 typed data in the domain ("PPV Stream Splitter", "1", chain id, this
///      contract), so a signature is good for one chain and one deployment only. The struct, its type
///      string and the event are the ones of packages/chain/src/invoice.ts.
///
///      Rounding: `tenantShare = floor(amount * tenantBps / 10000)`,
///      `hubShare = floor(amount * hubBps / 10000)`, and the creator gets the rest,
///      `creatorShare = amount - tenantShare - hubShare`. The shares always add up to the amount, the
///      creator receives at least `floor(amount * creatorBps / 10000)` and at most 2 smallest units
///      more, and nothing stays in the contract.
///
///      Tokens must move exactly the amount asked (no fee-on-transfer or rebasing tokens): the
///      contract holds nothing between payments, so a short transfer makes the payout revert.
contract X402Splitter is EIP712, Ownable2Step, Pausable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    struct Invoice {
        /// Single use: the contract refuses an id it has seen.
        bytes32 invoiceId;
        /// Only this address may pay it (for `payWithAuthorization`: the authorization's `from`).
        address payer;
        /// An ERC-20, or address(0) for the native coin.
        address token;
        /// Exact amount in the token's smallest unit.
        uint256 amount;
        address creator;
        address tenant;
        address hub;
        uint16 creatorBps;
        uint16 tenantBps;
        uint16 hubBps;
        /// keccak256 of the video's id.
        bytes32 videoIdHash;
        /// Unix seconds; the invoice is refused once the block's timestamp is later.
        uint64 deadline;
    }

    /// @notice The three shares of an invoice add up to this many basis points.
    uint256 public constant BPS_TOTAL = 10_000;

    bytes32 public constant INVOICE_TYPEHASH = keccak256(
        "Invoice(bytes32 invoiceId,address payer,address token,uint256 amount,address creator,address tenant,address hub,uint16 creatorBps,uint16 tenantBps,uint16 hubBps,bytes32 videoIdHash,uint64 deadline)"
    );

    /// @notice The key whose signatures the contract accepts; the owner can rotate it.
    address public invoiceSigner;

    /// @notice Invoice ids already paid.
    mapping(bytes32 invoiceId => bool) public invoiceUsed;

    event Paid(
        bytes32 indexed invoiceId,
        address indexed payer,
        address indexed creator,
        address token,
        uint256 amount,
        address tenant,
        address hub,
        uint256 creatorShare,
        uint256 tenantShare,
        uint256 hubShare,
        bytes32 videoIdHash
    );

    event InvoiceSignerChanged(address indexed previousSigner, address indexed newSigner);

    /// The block's timestamp is past the invoice's deadline.
    error InvoiceExpired(bytes32 invoiceId, uint64 deadline);
    /// The invoice id was paid before.
    error InvoiceUsed(bytes32 invoiceId);
    /// The signature is not the current invoice signer's over this invoice, chain and contract.
    error WrongSigner(address recovered);
    /// The caller (or the authorization's `from`) is not the invoice's payer.
    error WrongPayer(address expected, address actual);
    /// `msg.value` differs from the invoice's amount.
    error WrongAmount(uint256 expected, uint256 actual);
    /// The invoice names a token this path cannot take (an ERC-20 for `payNative`, the native coin otherwise).
    error WrongToken(address token);
    /// The three basis-point shares do not add up to 10,000.
    error BadSplit(uint256 totalBps);
    /// The creator, tenant or hub address is zero.
    error ZeroRecipient();
    /// The invoice's amount is zero.
    error ZeroAmount();
    /// The invoice signer cannot be address(0).
    error ZeroSigner();
    /// Ownership cannot be given up: without an owner the signer could never be rotated nor the
    /// contract paused again.
    error OwnershipRequired();
    /// Sending the native coin to a recipient failed (it reverted or has no way to receive it).
    error NativeTransferFailed(address recipient, uint256 amount);

    constructor(address owner_, address invoiceSigner_)
        EIP712("PPV Stream Splitter", "1")
        Ownable(owner_)
    {
        _setInvoiceSigner(invoiceSigner_);
    }

    /// @notice Pays a native-coin invoice: `msg.value` must equal `inv.amount` and `inv.token` be address(0).
    function payNative(Invoice calldata inv, bytes calldata signature)
        external
        payable
        whenNotPaused
        nonReentrant
    {
        if (inv.token != address(0)) revert WrongToken(inv.token);
        if (msg.value != inv.amount) revert WrongAmount(inv.amount, msg.value);
        _accept(inv, signature, msg.sender);
        (uint256 creatorShare, uint256 tenantShare, uint256 hubShare) = split(inv.amount, inv.tenantBps, inv.hubBps);
        _sendNative(inv.creator, creatorShare);
        _sendNative(inv.tenant, tenantShare);
        _sendNative(inv.hub, hubShare);
        _emitPaid(inv, creatorShare, tenantShare, hubShare);
    }

    /// @notice Pays an ERC-20 invoice from the caller's allowance: pulls `inv.amount` of `inv.token`
    ///         from `msg.sender` (who must be the payer and have approved this contract) and pays the shares.
    function payToken(Invoice calldata inv, bytes calldata signature) external whenNotPaused nonReentrant {
        if (inv.token == address(0)) revert WrongToken(inv.token);
        _accept(inv, signature, msg.sender);
        IERC20(inv.token).safeTransferFrom(msg.sender, address(this), inv.amount);
        _payTokenShares(inv);
    }

    /// @notice Pays an ERC-20 invoice with the payer's EIP-3009 `ReceiveWithAuthorization` for
    ///         `inv.amount` of `inv.token` from `inv.payer` to this contract. Anyone may submit it (the
    ///         hub's relayer does, for HTTP 402 payments); the payer needs no transaction of their own.
    /// @dev The token checks the authorization's signature, window and nonce; an authorization for
    ///      another amount, payer or recipient does not verify there and the whole call reverts.
    function payWithAuthorization(
        Invoice calldata inv,
        bytes calldata signature,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external whenNotPaused nonReentrant {
        if (inv.token == address(0)) revert WrongToken(inv.token);
        // The authorization's `from` is inv.payer by construction: the token verifies it signed this.
        _accept(inv, signature, inv.payer);
        IERC3009(inv.token).receiveWithAuthorization(
            inv.payer, address(this), inv.amount, validAfter, validBefore, nonce, v, r, s
        );
        _payTokenShares(inv);
    }

    /// @notice The split rule: tenant and hub shares round down, the creator gets the rest.
    function split(uint256 amount, uint16 tenantBps, uint16 hubBps)
        public
        pure
        returns (uint256 creatorShare, uint256 tenantShare, uint256 hubShare)
    {
        tenantShare = Math.mulDiv(amount, tenantBps, BPS_TOTAL);
        hubShare = Math.mulDiv(amount, hubBps, BPS_TOTAL);
        creatorShare = amount - tenantShare - hubShare;
    }

    /// @notice The EIP-712 digest the invoice signer signs for `inv` on this chain and contract.
    function hashInvoice(Invoice calldata inv) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(INVOICE_TYPEHASH, inv)));
    }

    /// @notice Rotates the invoice signer: from now on only the new key's signatures are accepted.
    function setInvoiceSigner(address newSigner) external onlyOwner {
        _setInvoiceSigner(newSigner);
    }

    /// @notice Stops every payment path until `unpause`.
    function pause() external onlyOwner {
        _pause();
    }

    function unpause() external onlyOwner {
        _unpause();
    }

    /// @notice Always reverts: a splitter without an owner could not rotate a leaked signer key.
    /// Hand ownership over with `transferOwnership` + `acceptOwnership` instead.
    function renounceOwnership() public view override onlyOwner {
        revert OwnershipRequired();
    }

    /// @dev Every check of an invoice, then marks it used; runs before any external call.
    function _accept(Invoice calldata inv, bytes calldata signature, address payer) private {
        if (payer != inv.payer) revert WrongPayer(inv.payer, payer);
        if (block.timestamp > inv.deadline) revert InvoiceExpired(inv.invoiceId, inv.deadline);
        if (invoiceUsed[inv.invoiceId]) revert InvoiceUsed(inv.invoiceId);
        if (inv.amount == 0) revert ZeroAmount();
        uint256 totalBps = uint256(inv.creatorBps) + inv.tenantBps + inv.hubBps;
        if (totalBps != BPS_TOTAL) revert BadSplit(totalBps);
        if (inv.creator == address(0) || inv.tenant == address(0) || inv.hub == address(0)) revert ZeroRecipient();
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(hashInvoice(inv), signature);
        if (err != ECDSA.RecoverError.NoError || recovered != invoiceSigner) revert WrongSigner(recovered);
        invoiceUsed[inv.invoiceId] = true;
    }

    function _payTokenShares(Invoice calldata inv) private {
        (uint256 creatorShare, uint256 tenantShare, uint256 hubShare) = split(inv.amount, inv.tenantBps, inv.hubBps);
        IERC20 token = IERC20(inv.token);
        if (creatorShare > 0) token.safeTransfer(inv.creator, creatorShare);
        if (tenantShare > 0) token.safeTransfer(inv.tenant, tenantShare);
        if (hubShare > 0) token.safeTransfer(inv.hub, hubShare);
        _emitPaid(inv, creatorShare, tenantShare, hubShare);
    }

    /// @dev Ignores the recipient's return data, so a recipient cannot make the payer copy a huge revert.
    function _sendNative(address recipient, uint256 amount) private {
        if (amount == 0) return;
        if (!LowLevelCall.callNoReturn(recipient, amount, "")) revert NativeTransferFailed(recipient, amount);
    }

    function _emitPaid(Invoice calldata inv, uint256 creatorShare, uint256 tenantShare, uint256 hubShare) private {
        emit Paid(
            inv.invoiceId,
            inv.payer,
            inv.creator,
            inv.token,
            inv.amount,
            inv.tenant,
            inv.hub,
            creatorShare,
            tenantShare,
            hubShare,
            inv.videoIdHash
        );
    }

    function _setInvoiceSigner(address newSigner) private {
        if (newSigner == address(0)) revert ZeroSigner();
        emit InvoiceSignerChanged(invoiceSigner, newSigner);
        invoiceSigner = newSigner;
    }
}
