/// nevisIDM's elementary rights (`AccessControl.*`) that this server checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    CredentialCreate,
    CredentialView,
    CredentialModify,
    CredentialDelete,
    CredentialChangeState,
    PolicyConfigurationView,
    PolicyCreate,
    PolicyView,
    PolicyModify,
    PolicyDelete,
    ClientCreate,
    ClientView,
    ClientDelete,
    UserCreate,
    UserView,
    UserModify,
    UserDelete,
    LoginIdOverride,
    UserCreateTechUser,
    PropertyView,
    PropertyValueView,
    PropertyAllowedValueView,
    PropertyValueCreate,
    PropertyValueModify,
    PropertyValueDelete,
}

impl Permission {
    pub const ALL: [Self; 25] = [
        Self::CredentialCreate,
        Self::CredentialView,
        Self::CredentialModify,
        Self::CredentialDelete,
        Self::CredentialChangeState,
        Self::PolicyConfigurationView,
        Self::PolicyCreate,
        Self::PolicyView,
        Self::PolicyModify,
        Self::PolicyDelete,
        Self::ClientCreate,
        Self::ClientView,
        Self::ClientDelete,
        Self::UserCreate,
        Self::UserView,
        Self::UserModify,
        Self::UserDelete,
        Self::LoginIdOverride,
        Self::UserCreateTechUser,
        Self::PropertyView,
        Self::PropertyValueView,
        Self::PropertyAllowedValueView,
        Self::PropertyValueCreate,
        Self::PropertyValueModify,
        Self::PropertyValueDelete,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::CredentialCreate => "AccessControl.CredentialCreate",
            Self::CredentialView => "AccessControl.CredentialView",
            Self::CredentialModify => "AccessControl.CredentialModify",
            Self::CredentialDelete => "AccessControl.CredentialDelete",
            Self::CredentialChangeState => "AccessControl.CredentialChangeState",
            Self::PolicyConfigurationView => "AccessControl.PolicyConfigurationView",
            Self::PolicyCreate => "AccessControl.PolicyCreate",
            Self::PolicyView => "AccessControl.PolicyView",
            Self::PolicyModify => "AccessControl.PolicyModify",
            Self::PolicyDelete => "AccessControl.PolicyDelete",
            Self::ClientCreate => "AccessControl.ClientCreate",
            Self::ClientView => "AccessControl.ClientView",
            Self::ClientDelete => "AccessControl.ClientDelete",
            Self::UserCreate => "AccessControl.UserCreate",
            Self::UserView => "AccessControl.UserView",
            Self::UserModify => "AccessControl.UserModify",
            Self::UserDelete => "AccessControl.UserDelete",
            Self::LoginIdOverride => "AccessControl.LoginIdOverride",
            Self::UserCreateTechUser => "AccessControl.UserCreateTechUser",
            Self::PropertyView => "AccessControl.PropertyView",
            Self::PropertyValueView => "AccessControl.PropertyValueView",
            Self::PropertyAllowedValueView => "AccessControl.PropertyAllowedValueView",
            Self::PropertyValueCreate => "AccessControl.PropertyValueCreate",
            Self::PropertyValueModify => "AccessControl.PropertyValueModify",
            Self::PropertyValueDelete => "AccessControl.PropertyValueDelete",
        }
    }

    /// Accepts `AccessControl.CredentialView` and the bare `CredentialView`.
    pub fn parse(text: &str) -> Option<Self> {
        let bare = text.strip_prefix("AccessControl.").unwrap_or(text);
        Self::ALL
            .into_iter()
            .find(|p| p.name().trim_start_matches("AccessControl.") == bare)
    }
}

/// A set of [`Permission`]s, one bit each: every request builds one from its token, so
/// it is a copyable word instead of a hash set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Permissions(u32);

impl Permissions {
    const fn bit(permission: Permission) -> u32 {
        1 << permission as u32
    }

    pub fn insert(&mut self, permission: Permission) {
        self.0 |= Self::bit(permission);
    }

    pub fn contains(self, permission: Permission) -> bool {
        self.0 & Self::bit(permission) != 0
    }

    pub fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl FromIterator<Permission> for Permissions {
    fn from_iter<I: IntoIterator<Item = Permission>>(permissions: I) -> Self {
        let mut set = Self::default();
        set.extend(permissions);
        set
    }
}

impl Extend<Permission> for Permissions {
    fn extend<I: IntoIterator<Item = Permission>>(&mut self, permissions: I) {
        for permission in permissions {
            self.insert(permission);
        }
    }
}

/// The standard nevisIDM roles this server knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Root,
    ClientRoot,
    UserAdmin,
    Helpdesk,
    SelfAdmin,
}

impl Role {
    pub const ALL: [Self; 5] = [
        Self::Root,
        Self::ClientRoot,
        Self::UserAdmin,
        Self::Helpdesk,
        Self::SelfAdmin,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Root => "Root",
            Self::ClientRoot => "ClientRoot",
            Self::UserAdmin => "UserAdmin",
            Self::Helpdesk => "Helpdesk",
            Self::SelfAdmin => "SelfAdmin",
        }
    }

    /// Accepts `nevisIdm.Root` and `Root`; unknown roles are ignored by the caller.
    pub fn parse(text: &str) -> Option<Self> {
        let bare = text.strip_prefix("nevisIdm.").unwrap_or(text);
        Self::ALL.into_iter().find(|role| role.name() == bare)
    }

    /// The rights a role grants inside its client (Root's apply in every client).
    pub fn permissions(self) -> Permissions {
        use Permission::*;
        let list: &[Permission] = match self {
            Self::Root | Self::ClientRoot => &Permission::ALL,
            // "All credential and user rights in its client"; viewing policies is needed
            // to create credentials that name one.
            Self::UserAdmin => &[
                CredentialCreate,
                CredentialView,
                CredentialModify,
                CredentialDelete,
                CredentialChangeState,
                UserCreate,
                UserView,
                UserModify,
                UserDelete,
                LoginIdOverride,
                UserCreateTechUser,
                PolicyConfigurationView,
                PolicyView,
                PropertyView,
                PropertyValueView,
                PropertyAllowedValueView,
                PropertyValueCreate,
                PropertyValueModify,
                PropertyValueDelete,
            ],
            // Reads properties too: generic credentials' property values are part of them.
            Self::Helpdesk => &[
                CredentialView,
                CredentialModify,
                CredentialChangeState,
                PropertyView,
                PropertyValueView,
                PropertyAllowedValueView,
            ],
            Self::SelfAdmin => &[],
        };
        list.iter().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_with_and_without_prefix() {
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.name()), Some(p));
            assert_eq!(
                Permission::parse(p.name().trim_start_matches("AccessControl.")),
                Some(p)
            );
        }
        assert_eq!(Permission::parse("AccessControl.Nothing"), None);
        assert_eq!(Role::parse("nevisIdm.Helpdesk"), Some(Role::Helpdesk));
        assert_eq!(Role::parse("Root"), Some(Role::Root));
        assert_eq!(Role::parse("nevisIdm.SoapTechAccess"), None);
    }

    #[test]
    fn every_permission_has_its_own_bit() {
        let mut set = Permissions::default();
        for (count, p) in Permission::ALL.into_iter().enumerate() {
            assert!(!set.contains(p));
            set.insert(p);
            assert!(set.contains(p));
            assert_eq!(set.len(), count + 1);
        }
        let helpdesk = Role::Helpdesk.permissions();
        assert_eq!(
            Permission::ALL
                .into_iter()
                .filter(|p| helpdesk.contains(*p))
                .count(),
            helpdesk.len()
        );
    }

    #[test]
    fn roles_grant_what_decisions_md_says() {
        assert_eq!(Role::Root.permissions().len(), Permission::ALL.len());
        let helpdesk = Role::Helpdesk.permissions();
        assert!(helpdesk.contains(Permission::CredentialModify));
        assert!(!helpdesk.contains(Permission::CredentialDelete));
        assert!(!helpdesk.contains(Permission::CredentialCreate));
        assert!(Role::SelfAdmin.permissions().is_empty());
        let admin = Role::UserAdmin.permissions();
        assert!(admin.contains(Permission::CredentialDelete));
        assert!(!admin.contains(Permission::ClientCreate));
    }
}
