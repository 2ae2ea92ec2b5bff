// "Learn PET": ask the server to simulate and reconstruct, show the picture and the sentence.
document.getElementById("learn-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const query = new URLSearchParams({
    phantom: form.get("phantom"), activity_mbq: form.get("activity_mbq"), scan_s: form.get("scan_s"),
    attenuation: form.has("attenuation"), scatter: form.has("scatter"), positron_range: form.has("positron_range"),
  });
  const status = document.getElementById("learn-status");
  status.textContent = "Simulating and reconstructing…";
  const started = performance.now();
  const answer = await fetch(`/api/learn/scan?${query}`);
  const data = await answer.json();
  if (!answer.ok) { status.textContent = data.detail; return; }
  document.getElementById("learn-figure").src = `data:image/png;base64,${data.png}`;
  document.getElementById("learn-sentence").textContent = data.sentence;
  const recovery = data.recovery === null ? "—" : `${(100 * data.recovery).toFixed(0)} %`;
  document.getElementById("learn-numbers").textContent =
    `${(data.prompts / 1e6).toFixed(1)} million prompt coincidences; inside the object the image shows ` +
    `${(data.measured_bq_ml / 1000).toFixed(1)} kBq/mL for a truth of ${(data.truth_bq_ml / 1000).toFixed(1)} kBq/mL ` +
    `(${recovery}); corrections: ${data.corrections.join(", ")}.`;
  status.textContent = `Done in ${((performance.now() - started) / 1000).toFixed(1)} s`;
});
