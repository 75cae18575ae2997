// SPDX-License-Identifier: AGPL-3.0-or-later
pragma solidity ^0.8.26;

/// @title ReentrantReceiver
/// @notice Tests only: a payee that, once armed, makes one call of its choosing (e.g. back into the
///         splitter) when it receives the native coin, records how that call ended, and then accepts
///         the coin.
contract ReentrantReceiver {
    address public target;
    bytes public data;
    bool public armed;
    /// Whether the last re-entrant call succeeded, and what it returned or reverted with.
    bool public reentrySucceeded;
    bytes public reentryResult;

    /// @notice The next payment received calls `target_` with `data_` once.
    function arm(address target_, bytes calldata data_) external {
        target = target_;
        data = data_;
        armed = true;
    }

    receive() external payable {
        if (armed) {
            armed = false;
            (reentrySucceeded, reentryResult) = target.call(data);
        }
    }
}
