// Standalone launch with the fhirclient library: discovery, PKCE and the redirect are its own.
const query = new URLSearchParams(window.location.search);
FHIR.oauth2.authorize({
  iss: query.get("iss"),
  clientId: query.get("client_id"),
  scope: query.get("scope"),
  redirectUri: "callback.html",
});
