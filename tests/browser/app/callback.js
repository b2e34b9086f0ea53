// Completes the launch, then reads through the proxy and reports what happened as JSON.
const result = document.getElementById("result");

async function attempt(client, path) {
  try {
    const body = await client.request(path);
    return { ok: true, resourceType: body.resourceType, entries: (body.entry || []).length };
  } catch (error) {
    const status = error.status || (error.response && error.response.status) || null;
    return { ok: false, status: status };
  }
}

FHIR.oauth2.ready().then(async (client) => {
  const patient = client.patient.id;
  const report = {
    patient: patient,
    scope: client.state.tokenResponse.scope,
    patientRead: await attempt(client, "Patient/" + patient),
    observations: await attempt(client, "Observation?patient=" + patient),
    conditions: await attempt(client, "Condition?patient=" + patient),
  };
  result.textContent = JSON.stringify(report);
}).catch((error) => {
  result.textContent = JSON.stringify({ error: String(error) });
});
