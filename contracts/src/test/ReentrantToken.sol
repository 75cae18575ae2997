// SPDX-License-Identifier: AGPL-3.0-or-later
pragma solidity ^0.8.26;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title ReentrantToken
/// @notice Tests only: an ERC-20 anyone can mint that, once armed, makes one call of its choosing
///         (e.g. back into the splitter) in the middle of its next transfer, records how that call
///         ended, and then completes the transfer normally.
contract ReentrantToken is ERC20 {
    address public target;
    bytes public data;
    bool public armed;
    /// Whether the last re-entrant call succeeded, and what it returned or reverted with.
    bool public reentrySucceeded;
    bytes public reentryResult;

    constructor() ERC20("Reentrant Token", "REENTER") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice The next transfer calls `target_` with `data_` once.
    function arm(address target_, bytes calldata data_) external {
        target = target_;
        data = data_;
        armed = true;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (armed) {
            armed = false;
            (reentrySucceeded, reentryResult) = target.call(data);
        }
        super._update(from, to, value);
    }
}
