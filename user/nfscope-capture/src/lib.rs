//! Captures to TOA records: [`read_capture`] reads pcap or pcapng (either byte
//! order, any of the link types tcpdump writes on Linux), [`decode_toa`] finds
//! the TOA of each TCP packet with the shared codec.

mod capture;
mod filter;
mod packet;

pub use filter::{toa_filter, ToaFilter};
pub use capture::{read_capture, CaptureError, LinkType, RawPacket};
pub use packet::{decode_toa, tcp_of, TcpHeader, ToaRecord};
