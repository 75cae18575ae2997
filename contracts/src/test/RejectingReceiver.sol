// SPDX-License-Identifier: AGPL-3.0-or-later
pragma solidity ^0.8.26;

/// @title RejectingReceiver
/// @notice Tests only: a payee that refuses every native-coin payment.
contract RejectingReceiver {
    error PaymentRefused();

    receive() external payable {
        revert PaymentRefused();
    }
}
