//! A webhook's target: the URL a subscriber gives, held to the rules that
//! keep deliveries off private networks ([`super::address`]).
//!
//! - `https` only; plain `http` only to a host on the allow-list
//!   (`WEBHOOK_ALLOW_HOSTS`, for local development).
//! - No credentials in the URL (they would be stored and logged) and no
//!   fragment (it is never sent); at most [`MAX_LENGTH`] characters.
//! - An address written in the URL, or a `localhost` name, is judged when
//!   the URL is parsed; a name is judged again on every delivery, by the
//!   addresses it resolves to then ([`Target::connectable`]): every one must
//!   be allowed, and the delivery connects to one of those very addresses,
//!   never looking the name up a second time (DNS rebinding).
//!
//! Invariant: a host on the allow-list skips the scheme and address rules;
//! every other target reaches only globally routable addresses.

use super::address::{refusal, Refused};
use std::net::{IpAddr, SocketAddr};
use url::{Host, Url};

/// The longest URL accepted.
pub const MAX_LENGTH: usize = 2048;

/// Hosts a delivery may reach over plain `http` and at any address (the
/// local webhook inbox); empty in a deployment. An entry with a port
/// (`127.0.0.1:3000`, `[::1]:3000`) allows that port alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList(Vec<(String, Option<u16>)>);

impl AllowList {
    /// From `WEBHOOK_ALLOW_HOSTS`: host names or addresses, each with an
    /// optional port, separated by commas, compared without case.
    pub fn parse(list: &str) -> Self {
        Self(
            list.split(',')
                .map(str::trim)
                .filter(|entry| !entry.is_empty())
                .map(entry)
                .collect(),
        )
    }

    /// Whether `host` is on the list for `port` (any port, when the port is
    /// not known: a resolver knows only the name, and the URL's port was
    /// judged when it was parsed).
    fn allows(&self, host: &str, port: Option<u16>) -> bool {
        let host = host.trim_matches(['[', ']']).to_ascii_lowercase();
        self.0.iter().any(|(allowed, only)| {
            *allowed == host && (only.is_none() || port.is_none() || *only == port)
        })
    }

    /// [`Target::connectable`] for a host known only by its name, as a
    /// resolver knows it: the same judgement, by this list.
    pub fn connectable(
        &self,
        host: &str,
        resolved: &[SocketAddr],
    ) -> Result<Vec<SocketAddr>, TargetError> {
        connectable(self.allows(host, None), resolved)
    }
}

/// One entry of the list: a host and, if it names one, a port.
fn entry(text: &str) -> (String, Option<u16>) {
    let (host, port) = match text.strip_prefix('[').and_then(|rest| rest.split_once(']')) {
        Some((v6, tail)) => (v6, tail.strip_prefix(':')),
        None => match text.rsplit_once(':') {
            Some((host, port)) if !host.contains(':') => (host, Some(port)),
            _ => (text, None),
        },
    };
    (
        host.to_ascii_lowercase(),
        port.and_then(|port| port.parse().ok()),
    )
}

/// Why a URL or the addresses it resolved to were refused; each message
/// can follow "url: ".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("is not an absolute URL")]
    Malformed,
    #[error("is longer than 2048 characters")]
    TooLong,
    #[error("must use https")]
    NotHttps,
    #[error("must not carry a user name or password")]
    Credentials,
    #[error("must not carry a fragment")]
    Fragment,
    #[error("must name a host")]
    NoHost,
    #[error("names a loopback host")]
    LocalName,
    #[error("reaches {}", .0.describe())]
    Address(Refused),
    #[error("resolves to no address")]
    Unresolved,
}

/// A URL that passed the rules above.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    url: Url,
    allowed: bool,
}

impl Target {
    pub fn parse(text: &str, allow: &AllowList) -> Result<Self, TargetError> {
        if text.len() > MAX_LENGTH {
            return Err(TargetError::TooLong);
        }
        let url = Url::parse(text).map_err(|_| TargetError::Malformed)?;
        let host = url.host().ok_or(TargetError::NoHost)?;
        let allowed = allow.allows(&host.to_string(), url.port_or_known_default());
        match url.scheme() {
            "https" => {}
            "http" if allowed => {}
            _ => return Err(TargetError::NotHttps),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(TargetError::Credentials);
        }
        if url.fragment().is_some() {
            return Err(TargetError::Fragment);
        }
        if !allowed {
            match host {
                Host::Ipv4(v4) => judge(IpAddr::V4(v4))?,
                Host::Ipv6(v6) => judge(IpAddr::V6(v6))?,
                Host::Domain(name) => {
                    let name = name.trim_end_matches('.');
                    if name == "localhost" || name.ends_with(".localhost") {
                        return Err(TargetError::LocalName);
                    }
                }
            }
        }
        Ok(Self { url, allowed })
    }

    /// A URL an earlier write stored, rebuilt without the address policy
    /// (the allow-list may have changed since): it is judged again, by the
    /// policy of the moment, at every delivery.
    pub fn stored(text: &str) -> Result<Self, TargetError> {
        let url = Url::parse(text).map_err(|_| TargetError::Malformed)?;
        Ok(Self {
            url,
            allowed: false,
        })
    }

    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The host and port to resolve before a delivery.
    pub fn authority(&self) -> (String, u16) {
        let host = match self.url.host() {
            Some(Host::Ipv6(v6)) => v6.to_string(),
            Some(host) => host.to_string(),
            None => String::new(),
        };
        (host, self.url.port_or_known_default().unwrap_or(443))
    }

    /// The addresses a delivery may connect to, given what the host
    /// resolved to just now: all of them when every one is allowed (or the
    /// host is on the allow-list), otherwise a refusal naming the first
    /// that is not.
    pub fn connectable(&self, resolved: &[SocketAddr]) -> Result<Vec<SocketAddr>, TargetError> {
        connectable(self.allowed, resolved)
    }
}

fn connectable(allowed: bool, resolved: &[SocketAddr]) -> Result<Vec<SocketAddr>, TargetError> {
    if resolved.is_empty() {
        return Err(TargetError::Unresolved);
    }
    if !allowed {
        for address in resolved {
            judge(address.ip())?;
        }
    }
    Ok(resolved.to_vec())
}

fn judge(address: IpAddr) -> Result<(), TargetError> {
    match refusal(address) {
        Some(reason) => Err(TargetError::Address(reason)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none() -> AllowList {
        AllowList::default()
    }

    #[test]
    fn https_urls_to_public_hosts_are_accepted_as_written() {
        let target = Target::parse("https://hooks.example.com/opsflow?x=1", &none()).unwrap();
        assert_eq!(
            target.url().as_str(),
            "https://hooks.example.com/opsflow?x=1"
        );
        assert_eq!(target.authority(), ("hooks.example.com".into(), 443));
        let target = Target::parse("https://93.184.216.34:8443/in", &none()).unwrap();
        assert_eq!(target.authority(), ("93.184.216.34".into(), 8443));
    }

    #[test]
    fn urls_that_could_reach_the_platforms_own_network_are_refused() {
        use Refused::*;
        let cases = [
            ("http://hooks.example.com/", TargetError::NotHttps),
            ("ftp://hooks.example.com/", TargetError::NotHttps),
            ("https://127.0.0.1/", TargetError::Address(Loopback)),
            ("https://[::1]/", TargetError::Address(Loopback)),
            (
                "https://169.254.169.254/latest/meta-data/",
                TargetError::Address(LinkLocal),
            ),
            ("https://10.0.0.1/", TargetError::Address(Private)),
            (
                "https://[::ffff:127.0.0.1]/",
                TargetError::Address(Loopback),
            ),
            ("https://[fd00::1]/", TargetError::Address(Private)),
            // Forms an address may be written in: all read as 127.0.0.1.
            ("https://2130706433/", TargetError::Address(Loopback)),
            ("https://0x7f.1/", TargetError::Address(Loopback)),
            ("https://localhost/", TargetError::LocalName),
            ("https://api.localhost./", TargetError::LocalName),
            (
                "https://user:pw@hooks.example.com/",
                TargetError::Credentials,
            ),
            ("https://hooks.example.com/#part", TargetError::Fragment),
            ("hooks.example.com/in", TargetError::Malformed),
            ("mailto:ops@example.com", TargetError::NoHost),
        ];
        for (url, error) in cases {
            assert_eq!(Target::parse(url, &none()), Err(error), "{url}");
        }
        let long = format!("https://hooks.example.com/{}", "a".repeat(MAX_LENGTH));
        assert_eq!(Target::parse(&long, &none()), Err(TargetError::TooLong));
    }

    #[test]
    fn an_allow_listed_host_may_use_http_and_any_address() {
        let allow = AllowList::parse(" 127.0.0.1 , [::1], Inbox.Local");
        for url in [
            "http://127.0.0.1:3000/inbox",
            "http://[::1]:3000/",
            "http://inbox.local/",
        ] {
            let target = Target::parse(url, &allow).unwrap();
            let loopback = SocketAddr::from(([127, 0, 0, 1], 3000));
            assert_eq!(target.connectable(&[loopback]), Ok(vec![loopback]), "{url}");
        }
        // Only the listed hosts.
        assert_eq!(
            Target::parse("http://127.0.0.2/", &allow),
            Err(TargetError::NotHttps)
        );
        assert_eq!(AllowList::parse(""), AllowList::default());
    }

    #[test]
    fn an_entry_with_a_port_allows_that_port_alone() {
        let allow = AllowList::parse("127.0.0.1:3000, [::1]:3000, inbox.local:8080");
        for url in [
            "http://127.0.0.1:3000/_inbox/demo",
            "http://[::1]:3000/",
            "http://inbox.local:8080/",
        ] {
            assert!(Target::parse(url, &allow).is_ok(), "{url}");
        }
        for url in [
            "http://127.0.0.1:8000/",
            "http://[::1]/",
            "http://inbox.local/",
        ] {
            assert_eq!(
                Target::parse(url, &allow),
                Err(TargetError::NotHttps),
                "{url}"
            );
        }
        // A resolver knows the name alone: the port was judged at parse.
        let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
        assert_eq!(
            allow.connectable("inbox.local", &[loopback]),
            Ok(vec![loopback])
        );
    }

    #[test]
    fn a_name_is_judged_by_every_address_it_resolves_to_at_delivery() {
        let target = Target::parse("https://hooks.example.com/in", &none()).unwrap();
        let public = SocketAddr::from(([93, 184, 216, 34], 443));
        let metadata = SocketAddr::from(([169, 254, 169, 254], 443));
        assert_eq!(target.connectable(&[public]), Ok(vec![public]));
        assert_eq!(
            target.connectable(&[public, metadata]),
            Err(TargetError::Address(Refused::LinkLocal))
        );
        assert_eq!(target.connectable(&[]), Err(TargetError::Unresolved));
    }

    #[test]
    fn a_name_alone_is_judged_as_its_target_would_be() {
        let allow = AllowList::parse("inbox.local");
        let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
        assert_eq!(
            allow.connectable("Inbox.Local", &[loopback]),
            Ok(vec![loopback])
        );
        assert_eq!(
            allow.connectable("hooks.example.com", &[loopback]),
            Err(TargetError::Address(Refused::Loopback))
        );
        assert_eq!(
            allow.connectable("inbox.local", &[]),
            Err(TargetError::Unresolved)
        );
    }

    #[test]
    fn refusals_read_as_sentences_about_the_url() {
        let error = Target::parse("https://10.1.2.3/", &none()).unwrap_err();
        assert_eq!(
            format!("url {error}"),
            "url reaches a private-network address"
        );
    }
}
