//! Which network addresses a delivery may connect to. A webhook URL is
//! chosen by a subscriber, and the dispatcher connects with its function's
//! network reach, so an address inside a private or special-purpose range
//! would let a subscriber make the platform call its own infrastructure
//! (the instance metadata service at `169.254.169.254`, a database on a
//! private subnet, a service on loopback).
//!
//! Invariant: only globally routable unicast addresses are allowed. An IPv6
//! address that embeds an IPv4 one (IPv4-mapped, IPv4-compatible, NAT64,
//! 6to4) is judged by the IPv4 address it reaches. Ranges follow the IANA
//! special-purpose address registries (RFC 6890 and its updates).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address may not be reached, for the refusal's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    Unspecified,
    Loopback,
    /// RFC 1918 and IPv6 unique-local (`fc00::/7`).
    Private,
    /// Includes the instance metadata service, `169.254.169.254`.
    LinkLocal,
    /// Carrier-grade NAT, `100.64.0.0/10`.
    SharedAddressSpace,
    Multicast,
    Broadcast,
    /// Documentation, benchmarking, protocol assignments and the reserved
    /// ranges: never a real destination.
    Reserved,
}

impl Refused {
    /// A sentence naming the kind of address.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Unspecified => "an unspecified address",
            Self::Loopback => "a loopback address",
            Self::Private => "a private-network address",
            Self::LinkLocal => "a link-local address (such as the instance metadata service)",
            Self::SharedAddressSpace => "a carrier-grade NAT address",
            Self::Multicast => "a multicast address",
            Self::Broadcast => "the broadcast address",
            Self::Reserved => "a reserved or special-purpose address",
        }
    }
}

/// `None` when a delivery may connect to `address`; otherwise why not.
pub fn refusal(address: IpAddr) -> Option<Refused> {
    match address {
        IpAddr::V4(v4) => refusal_v4(v4),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => refusal_v4(v4),
            None => refusal_v6(v6),
        },
    }
}

fn refusal_v4(address: Ipv4Addr) -> Option<Refused> {
    let [a, b, ..] = address.octets();
    if address.is_unspecified() || a == 0 {
        // 0.0.0.0/8: "this network"; connecting to it reaches the host.
        Some(Refused::Unspecified)
    } else if address.is_loopback() {
        Some(Refused::Loopback)
    } else if address.is_private() {
        Some(Refused::Private)
    } else if address.is_link_local() {
        Some(Refused::LinkLocal)
    } else if a == 100 && (64..128).contains(&b) {
        Some(Refused::SharedAddressSpace)
    } else if address.is_multicast() {
        Some(Refused::Multicast)
    } else if address.is_broadcast() {
        Some(Refused::Broadcast)
    } else if special_v4(address) {
        Some(Refused::Reserved)
    } else {
        None
    }
}

/// Never a real destination: protocol assignments (`192.0.0.0/24`),
/// documentation (`192.0.2.0/24`, `198.51.100.0/24`, `203.0.113.0/24`),
/// benchmarking (`198.18.0.0/15`), the 6to4 relay (`192.88.99.0/24`) and
/// the reserved `240.0.0.0/4`.
fn special_v4(address: Ipv4Addr) -> bool {
    let [a, b, c, _] = address.octets();
    (a == 192 && b == 0 && c == 0)
        || address.is_documentation()
        || (a == 198 && (b == 18 || b == 19))
        || (a == 192 && b == 88 && c == 99)
        || a >= 240
}

fn refusal_v6(address: Ipv6Addr) -> Option<Refused> {
    let segments = address.segments();
    if address.is_unspecified() {
        Some(Refused::Unspecified)
    } else if address.is_loopback() {
        Some(Refused::Loopback)
    } else if segments[0] & 0xfe00 == 0xfc00 {
        Some(Refused::Private)
    } else if segments[0] & 0xffc0 == 0xfe80 {
        Some(Refused::LinkLocal)
    } else if address.is_multicast() {
        Some(Refused::Multicast)
    } else if segments[0] & 0xe000 != 0x2000 {
        // Outside 2000::/3, the only range IANA allocates for global
        // unicast: site-local, the discard prefix and the unassigned rest.
        Some(Refused::Reserved)
    } else if special_v6(segments) {
        Some(Refused::Reserved)
    } else {
        None
    }
}

/// IANA's special-purpose ranges inside 2000::/3: protocol assignments
/// (`2001::/23`, Teredo among them) and documentation (`2001:db8::/32`,
/// `3fff::/20`).
fn special_v6(s: [u16; 8]) -> bool {
    match s[0] {
        0x2001 => s[1] < 0x0200 || s[1] == 0x0db8,
        0x3fff => s[1] < 0x1000,
        _ => false,
    }
}

/// The IPv4 address an IPv6 one stands for, if it embeds one: IPv4-mapped
/// (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`), NAT64 (`64:ff9b::/96`)
/// and 6to4 (`2002:aabb:ccdd::/48`).
fn embedded_v4(address: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = address.segments();
    let tail = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] => Some(tail),
        // `::` and `::1` are IPv6's own unspecified and loopback addresses.
        [0, 0, 0, 0, 0, 0, _, _] if !address.is_unspecified() && !address.is_loopback() => {
            Some(tail)
        }
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(tail),
        [0x2002, high, low, ..] => Some(Ipv4Addr::new(
            (high >> 8) as u8,
            high as u8,
            (low >> 8) as u8,
            low as u8,
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(text: &str) -> Option<Refused> {
        refusal(text.parse().expect(text))
    }

    fn refused_as(cases: &[(&str, Refused)]) {
        for (address, reason) in cases {
            assert_eq!(judged(address), Some(*reason), "{address}");
        }
    }

    #[test]
    fn public_addresses_are_allowed() {
        for address in [
            "93.184.216.34",
            "8.8.8.8",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.1",
            "172.32.0.1",
            "2606:4700:4700::1111",
            "2a00:1450:4001:80b::200e",
            "::ffff:93.184.216.34",
            "64:ff9b::808:808",
        ] {
            assert_eq!(judged(address), None, "{address}");
        }
    }

    #[test]
    fn every_private_or_special_range_is_refused_with_its_reason() {
        use Refused::*;
        let cases = [
            ("0.0.0.0", Unspecified),
            ("0.1.2.3", Unspecified),
            ("127.0.0.1", Loopback),
            ("127.255.0.9", Loopback),
            ("10.0.0.1", Private),
            ("172.16.0.1", Private),
            ("172.31.255.254", Private),
            ("192.168.1.1", Private),
            ("169.254.169.254", LinkLocal),
            ("100.64.0.1", SharedAddressSpace),
            ("100.127.255.254", SharedAddressSpace),
            ("224.0.0.1", Multicast),
            ("239.255.255.250", Multicast),
            ("255.255.255.255", Broadcast),
            ("192.0.0.8", Reserved),
            ("192.0.2.1", Reserved),
            ("198.18.0.1", Reserved),
            ("203.0.113.9", Reserved),
            ("240.0.0.1", Reserved),
            ("::", Unspecified),
            ("::1", Loopback),
            ("fc00::1", Private),
            ("fd12:3456::1", Private),
            ("fe80::1", LinkLocal),
            ("ff02::1", Multicast),
            ("2001:db8::1", Reserved),
            ("2001:0:4136:e378::1", Reserved),
            ("fec0::1", Reserved),
            ("100::1", Reserved),
        ];
        refused_as(&cases);
    }

    #[test]
    fn an_ipv6_address_is_judged_by_the_ipv4_address_it_embeds() {
        use Refused::*;
        let cases = [
            ("::ffff:127.0.0.1", Loopback),
            ("::ffff:7f00:1", Loopback),
            ("::ffff:169.254.169.254", LinkLocal),
            ("::ffff:10.0.0.1", Private),
            ("::127.0.0.1", Loopback),
            ("::10.1.2.3", Private),
            ("64:ff9b::a9fe:a9fe", LinkLocal),
            ("64:ff9b::192.168.0.1", Private),
            ("2002:7f00:1::1", Loopback),
            ("2002:a9fe:a9fe::", LinkLocal),
        ];
        refused_as(&cases);
    }

    #[test]
    fn every_refusal_is_described() {
        assert_eq!(
            judged("169.254.169.254").map(Refused::describe),
            Some("a link-local address (such as the instance metadata service)")
        );
        assert_eq!(
            judged("10.0.0.1").map(Refused::describe),
            Some("a private-network address")
        );
    }
}
