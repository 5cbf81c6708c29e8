//! The outbound policy of settings-built engines and the reranker: a base URL that is plain
//! `http`, or whose host is (or resolves to) a loopback, private, link-local or unspecified
//! address, is refused unless the settings allow it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Which destinations a client may reach.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum OutboundPolicy {
    /// No restriction (`engines.fromConfig`/`fromProfile`, embeddings).
    #[default]
    Open,
    /// Only `https` to public addresses, unless allowed.
    Guarded {
        /// The settings key naming the provider (`openai`, `rerank`, ...), for messages.
        key: String,
        /// `api.allow_http.<key>`.
        allow_http: bool,
        /// `api.allow_local_networks.<key>`.
        allow_local_networks: bool,
    },
}

/// Why the policy refused a destination. The texts never contain the URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundRefusal {
    /// The URL could not be parsed or has no host.
    #[error("base URL is not a valid http(s) URL with a host")]
    InvalidUrl,
    /// Plain `http` without `allow_http`.
    #[error(
        "plain http base URL refused by the outbound policy (set api.allow_http.{0} to allow it)"
    )]
    PlainHttp(String),
    /// A local address without `allow_local_networks`.
    #[error(
        "local network base URL refused by the outbound policy (set api.allow_local_networks.{0} to allow it)"
    )]
    LocalNetwork(String),
}

impl OutboundPolicy {
    /// Checks what can be checked without the network: the scheme, IP literals and `localhost`.
    pub fn check_static(&self, url: &str) -> Result<(), OutboundRefusal> {
        let OutboundPolicy::Guarded {
            key,
            allow_http,
            allow_local_networks,
        } = self
        else {
            return Ok(());
        };
        let parsed = reqwest::Url::parse(url).map_err(|_| OutboundRefusal::InvalidUrl)?;
        match parsed.scheme() {
            "https" => {}
            "http" if *allow_http => {}
            "http" => return Err(OutboundRefusal::PlainHttp(key.clone())),
            _ => return Err(OutboundRefusal::InvalidUrl),
        }
        if *allow_local_networks {
            return Ok(());
        }
        let local = match parsed.host() {
            None => return Err(OutboundRefusal::InvalidUrl),
            Some(url::Host::Ipv4(ip)) => is_local(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => is_local(IpAddr::V6(ip)),
            Some(url::Host::Domain(name)) => {
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                name == "localhost" || name.ends_with(".localhost")
            }
        };
        if local {
            Err(OutboundRefusal::LocalNetwork(key.clone()))
        } else {
            Ok(())
        }
    }

    /// [`check_static`](Self::check_static), then resolves a domain name and refuses it when any
    /// of its addresses is local. A name that does not resolve passes (the request then fails
    /// with its own error).
    pub async fn check(&self, url: &str) -> Result<(), OutboundRefusal> {
        self.check_static(url)?;
        let OutboundPolicy::Guarded {
            key,
            allow_local_networks: false,
            ..
        } = self
        else {
            return Ok(());
        };
        let parsed = reqwest::Url::parse(url).map_err(|_| OutboundRefusal::InvalidUrl)?;
        let Some(url::Host::Domain(name)) = parsed.host() else {
            return Ok(());
        };
        let port = parsed.port_or_known_default().unwrap_or(443);
        if let Ok(addresses) = tokio::net::lookup_host((name, port)).await {
            for address in addresses {
                if is_local(address.ip()) {
                    return Err(OutboundRefusal::LocalNetwork(key.clone()));
                }
            }
        }
        Ok(())
    }
}

/// Whether `ip` is loopback, private, link-local, unspecified (or an IPv4-mapped such address).
pub fn is_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_local_v4(ip),
        IpAddr::V6(ip) => match ip.to_ipv4_mapped() {
            Some(v4) => is_local_v4(v4),
            None => is_local_v6(ip),
        },
    }
}

fn is_local_v4(ip: Ipv4Addr) -> bool {
    ip.is_loopback() || ip.is_private() || ip.is_link_local() || ip.is_unspecified()
}

fn is_local_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guarded(allow_http: bool, allow_local_networks: bool) -> OutboundPolicy {
        OutboundPolicy::Guarded {
            key: "openai".into(),
            allow_http,
            allow_local_networks,
        }
    }

    #[test]
    fn static_checks() {
        let strict = guarded(false, false);
        assert_eq!(
            strict.check_static("http://example.com/v1"),
            Err(OutboundRefusal::PlainHttp("openai".into()))
        );
        for url in [
            "https://127.0.0.1/v1",
            "https://10.1.2.3",
            "https://192.168.0.1",
            "https://169.254.1.1",
            "https://[::1]/",
            "https://[fd00::1]/",
            "https://[fe80::1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://localhost:8080",
            "https://0.0.0.0",
        ] {
            assert_eq!(
                strict.check_static(url),
                Err(OutboundRefusal::LocalNetwork("openai".into())),
                "{url}"
            );
        }
        assert_eq!(strict.check_static("https://api.openai.com/v1"), Ok(()));
        assert_eq!(strict.check_static("https://8.8.8.8"), Ok(()));
        assert_eq!(
            guarded(true, true).check_static("http://127.0.0.1:1"),
            Ok(())
        );
        assert_eq!(
            guarded(true, false).check_static("http://127.0.0.1:1"),
            Err(OutboundRefusal::LocalNetwork("openai".into()))
        );
        assert_eq!(
            OutboundPolicy::Open.check_static("http://127.0.0.1"),
            Ok(())
        );
        assert_eq!(
            strict.check_static("ftp://x"),
            Err(OutboundRefusal::InvalidUrl)
        );
    }
}
