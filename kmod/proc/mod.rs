// SPDX-License-Identifier: GPL-2.0

//! `/proc/net/nfscope/` of each namespace: the module's state as text for
//! people. Procfs text is written here only; the data comes from the
//! concepts' own files.

mod drops;
mod status;
mod toa;

use crate::wrap::net::Net;
use crate::wrap::procfs::ProcDir;
use kernel::prelude::*;

/// `net`'s directory with all its files. Process context.
pub(crate) fn dir(net: &Net) -> Result<ProcDir> {
    let dir = ProcDir::new(net, c"nfscope")?;
    dir.add_file::<status::StatusFile>(c"status")?;
    dir.add_file::<toa::ToaFile>(c"toa")?;
    dir.add_file::<toa::ToaStatsFile>(c"toa_stats")?;
    dir.add_file::<drops::DropsFile>(c"drops")?;
    Ok(dir)
}
