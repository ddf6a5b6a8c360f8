// SPDX-License-Identifier: GPL-2.0

//! `/proc/net/nfscope/` of each namespace: the module's state as text for
//! people. Procfs text is written here only; the data comes from the
//! concepts' own files.

mod drops;
mod status;
mod toa;

use crate::netns::NetnsState;
use crate::wrap::net::Net;
use crate::wrap::pernet::Registered;
use crate::wrap::procfs::ProcDir;
use kernel::prelude::*;

/// `net`'s directory with all its files, from `NetnsState::attach`. Process
/// context.
pub(crate) fn dir(net: &Net, attached: Registered<'_, NetnsState>) -> Result<ProcDir> {
    let dir = ProcDir::new(net, c"nfscope")?;
    dir.add_file::<status::StatusFile>(c"status", attached)?;
    dir.add_file::<toa::ToaFile>(c"toa", attached)?;
    dir.add_file::<toa::ToaStatsFile>(c"toa_stats", attached)?;
    dir.add_file::<drops::DropsFile>(c"drops", attached)?;
    Ok(dir)
}
