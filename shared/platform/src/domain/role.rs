//! Roles: what a user may do is decided by their role alone (the
//! permissions each role holds are in `auth::rbac`).

crate::string_enum! {
    /// What a user may do; permissions per role are in `auth::rbac`.
    pub enum Role {
        Admin = "admin",
        Approver = "approver",
        User = "user",
        /// Reads every audit record, approval, workflow, rule and run;
        /// changes nothing.
        Auditor = "auditor",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_read_and_write_their_names() {
        assert_eq!(
            Role::ALL,
            [Role::Admin, Role::Approver, Role::User, Role::Auditor]
        );
        for role in Role::ALL {
            let json = serde_json::to_value(role).unwrap();
            assert_eq!(json, role.as_str(), "{role}");
            assert_eq!(Role::parse(role.as_str()), Ok(role), "{role}");
        }
        assert_eq!(
            Role::parse("root").unwrap_err(),
            "must be one of admin, approver, user, auditor"
        );
    }
}
