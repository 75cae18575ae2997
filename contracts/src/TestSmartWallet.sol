// SPDX-License-Identifier: AGPL-3.0-or-later
pragma solidity ^0.8.24;

/// @title TestSmartWallet
/// @notice A minimal EIP-1271 smart-contract wallet for tests. Development only: it holds no funds
///         and can do nothing but vouch for signatures made by its owner.
/// @dev A signature is valid when it is a 65-byte (r, s, v) ECDSA signature of `hash` by `owner`,
///      with a lower-half `s` and `v` of 27 or 28. Anything else is answered with 0xffffffff.
contract TestSmartWallet {
    /// @dev bytes4(keccak256("isValidSignature(bytes32,bytes)"))
    bytes4 internal constant MAGIC_VALUE = 0x1626ba7e;
    bytes4 internal constant INVALID = 0xffffffff;
    /// @dev secp256k1n / 2: larger `s` values are the malleable twin of a valid signature.
    uint256 internal constant HALF_CURVE_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    address public immutable owner;

    error ZeroOwner();

    constructor(address owner_) {
        if (owner_ == address(0)) revert ZeroOwner();
        owner = owner_;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        if (signature.length != 65) return INVALID;

        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);

        if (uint256(s) > HALF_CURVE_ORDER) return INVALID;
        if (v != 27 && v != 28) return INVALID;

        address signer = ecrecover(hash, v, r, s);
        if (signer == address(0) || signer != owner) return INVALID;
        return MAGIC_VALUE;
    }
}
