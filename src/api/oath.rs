//! `/{clientExtId}/users/{userExtId}/oath-credentials` (seed 002): create and list, and
//! `.../oath-credentials/{extId}`: get, patch, delete.

use super::kind::{Docs, HttpKind, Named, named};
use super::list::OathList;
use super::schema::{OathCreate, OathPatch};
use crate::domain::view::{OathCredential, OathCredentialCreated};
use crate::service::oath::Oath;

impl HttpKind for Oath {
    const SEGMENT: &'static str = "oath-credentials";
    const TAG: &'static str = "oath";
    const OPERATION: &'static str = "Oath";
    const LIST: Option<(&'static str, Named)> = Some(("listOathCredentials", named::<OathList>()));
    const DOCS: Docs = Docs {
        create: "Create an OATH credential with a server-generated secret (`CredentialCreate` +\n`CredentialView` + `PolicyConfigurationView`, or the user with an `X-Token`).",
        created: "Created; the `otpauth://` `uri` with the secret is shown this once",
        list: "The user's OATH credentials, a page at a time, never with a `uri` (`CredentialView`,\nor the user in self-admin mode, who does not see `secret`).",
        get: "One OATH credential, without the `uri` (`CredentialView`, or the user in self-admin\nmode, who does not see `secret`).",
        got: "The OATH credential",
        patch: "Change label, state, comment, policy or extId (`CredentialModify` + `CredentialView`,\nor the user with an `X-Token`).",
        patched: "The OATH credential after the change",
        delete: "Delete an OATH credential (`CredentialDelete`, or the user with an `X-Token`).",
    };
    const CREATE_BODY: Named = named::<OathCreate>();
    const PATCH_BODY: Named = named::<OathPatch>();
    const VIEW: Named = named::<OathCredential>();
    const CREATED: Named = named::<OathCredentialCreated>();
}
