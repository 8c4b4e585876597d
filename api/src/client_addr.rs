//! The client's address behind reverse proxies.
//!
//! `X-Forwarded-For` is a list that every proxy appends to: the left-most entries are whatever
//! the client wrote, only the entries added by our own proxies can be believed. So the header
//! counts only when the peer is a trusted proxy, and the client is the right-most entry that
//! is not a trusted proxy.

use std::net::{IpAddr, SocketAddr};

/// The address limits are keyed on: the peer, or, when the peer is a trusted proxy, the
/// right-most `X-Forwarded-For` entry that is not a trusted proxy. `headers` are the values
/// of every `X-Forwarded-For` header line, in order.
pub fn client_ip<'a>(
    peer: Option<IpAddr>,
    headers: impl IntoIterator<Item = &'a str>,
    is_trusted: impl Fn(IpAddr) -> bool,
) -> Option<IpAddr> {
    let mut client = peer?.to_canonical();
    if !is_trusted(client) {
        return Some(client);
    }
    let entries: Vec<&str> = headers.into_iter().flat_map(|h| h.split(',')).collect();
    for entry in entries.into_iter().rev() {
        // An entry that is not an address was not written by one of our proxies: the hop
        // to its right is the last one we can vouch for.
        let Some(ip) = parse_entry(entry) else {
            break;
        };
        client = ip;
        if !is_trusted(ip) {
            break;
        }
    }
    Some(client)
}

/// One entry: an address, optionally with a port (`1.2.3.4:5678`, `[::1]:80`).
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<SocketAddr>().map(|a| a.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn trusted(ip: IpAddr) -> bool {
        ip.is_loopback() || matches!(ip, IpAddr::V4(v4) if v4.octets()[0] == 10)
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let got = client_ip(Some(ip("203.0.113.9")), ["1.1.1.1"], trusted);
        assert_eq!(got, Some(ip("203.0.113.9")));
    }

    #[test]
    fn the_right_most_untrusted_entry_is_the_client() {
        let got = client_ip(
            Some(ip("127.0.0.1")),
            ["6.6.6.6, 198.51.100.7", "10.0.0.2"],
            trusted,
        );
        assert_eq!(got, Some(ip("198.51.100.7")));
    }

    #[test]
    fn entries_with_ports_and_mapped_addresses_are_understood() {
        let got = client_ip(Some(ip("::ffff:127.0.0.1")), ["198.51.100.7:5555"], trusted);
        assert_eq!(got, Some(ip("198.51.100.7")));
        let got = client_ip(Some(ip("127.0.0.1")), ["[2001:db8::1]:80"], trusted);
        assert_eq!(got, Some(ip("2001:db8::1")));
    }

    #[test]
    fn garbage_stops_the_walk_at_the_last_trusted_hop() {
        let got = client_ip(Some(ip("127.0.0.1")), ["unknown, 10.0.0.3"], trusted);
        assert_eq!(got, Some(ip("10.0.0.3")));
        let got = client_ip(Some(ip("127.0.0.1")), std::iter::empty(), trusted);
        assert_eq!(got, Some(ip("127.0.0.1")));
    }
}
