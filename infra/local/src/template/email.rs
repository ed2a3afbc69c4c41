//! SES e-mail identities (`AWS::SES::EmailIdentity`): the address (or the
//! whole domain) the platform sends e-mail from. `!Ref` of one is its
//! `EmailIdentity`, as in CloudFormation. Invariant: an identity is a
//! single address (`local@domain`) or a domain name, with no spaces and no
//! display name, and no two identities of the template are the same.

use super::properties::ResourceKeys;
use super::reader::Reader;
use super::EmailIdentityDef;
use anyhow::{bail, Result};
use yaml_serde::Mapping;

const IDENTITY_KEYS: ResourceKeys = ResourceKeys {
    handled: &["EmailIdentity"],
    // DNS-side settings (DKIM keys, the MAIL FROM domain) and bounce
    // forwarding: moto sends nothing anywhere, so they cannot matter.
    harmless: &[
        "DkimAttributes",
        "DkimSigningAttributes",
        "FeedbackAttributes",
        "MailFromAttributes",
    ],
    refused: &[],
};

impl Reader<'_> {
    pub(super) fn email_identity(&self, id: &str, def: &Mapping) -> Result<EmailIdentityDef> {
        let (pp, _props, warnings) = self.resource_properties(id, def, &IDENTITY_KEYS)?;
        let identity = self.name_of(id, &pp)?;
        check_identity(&identity, &format!("{pp}.EmailIdentity"))?;
        for warning in warnings {
            self.warn(warning);
        }
        Ok(EmailIdentityDef {
            logical_id: id.to_owned(),
            identity,
        })
    }
}

fn check_identity(identity: &str, path: &str) -> Result<()> {
    let domain = match identity.split_once('@') {
        Some((local, domain)) if !local.is_empty() => domain,
        Some(_) => bail!("{path}: {identity:?} has nothing before its '@'"),
        None => identity,
    };
    let labels_ok = domain.split('.').count() >= 2
        && domain.split('.').all(|label| {
            !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if identity
        .chars()
        .any(|c| c.is_whitespace() || "<>\",;".contains(c))
        || !labels_ok
    {
        bail!("{path}: {identity:?} is neither an e-mail address nor a domain name");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::template::test_support::{assert_refused, ctx_with, resources, with_variables};
    use crate::template::{parse, EmailIdentityDef};

    #[test]
    fn an_identity_is_its_address_or_domain() {
        let template = parse(
            &with_variables(&["X: a"]),
            &ctx_with(&[("Sender", "jobs@mail.example.org")]),
        )
        .unwrap();
        assert_eq!(
            template.email_identity("SenderIdentity"),
            Some(&EmailIdentityDef {
                logical_id: "SenderIdentity".into(),
                identity: "jobs@mail.example.org".into(),
            })
        );
        let domain = parse(
            &resources("  D:\n    Type: AWS::SES::EmailIdentity\n    Properties: {EmailIdentity: example.org, DkimAttributes: {SigningEnabled: true}}\n"),
            &ctx_with(&[]),
        )
        .unwrap();
        assert_eq!(domain.email_identities[0].identity, "example.org");
        assert!(domain.warnings.is_empty(), "{:?}", domain.warnings);
    }

    #[test]
    fn identity_errors() {
        let identity = |value: &str| {
            resources(&format!(
                "  I:\n    Type: AWS::SES::EmailIdentity\n    Properties: {{EmailIdentity: '{value}'}}\n"
            ))
        };
        assert_refused(&[
            (
                &resources("  I:\n    Type: AWS::SES::EmailIdentity\n"),
                &["Resources.I.Properties.EmailIdentity: missing"],
            ),
            (&identity("@example.org"), &["nothing before its '@'"]),
            (&identity("Ops <ops@example.org>"), &["neither an e-mail address"]),
            (&identity("localhost"), &["neither an e-mail address"]),
            (
                &resources("  A:\n    Type: AWS::SES::EmailIdentity\n    Properties: {EmailIdentity: a@example.org}\n  B:\n    Type: AWS::SES::EmailIdentity\n    Properties: {EmailIdentity: a@example.org}\n"),
                &["Resources.B: e-mail identity name a@example.org is also used by A"],
            ),
        ]);
    }
}
