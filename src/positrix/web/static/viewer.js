// The PET/CT viewer: NiiVue (installed from npm by the project's setup) for display;
// every number (units, VOI statistics) comes from the Positrix server.
const root = document.getElementById("viewer");
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const status = document.getElementById("status");
const petId = root.dataset.pet;
const ctId = root.dataset.ct;
let nv = null;
let unit = document.getElementById("unit").value;

function petVolume() {
  return nv.volumes.find((v) => v.name.startsWith("pet"));
}

function petSpec() {
  return {
    url: `/api/series/${petId}/volume.nii.gz?unit=${encodeURIComponent(unit)}`,
    name: `pet-${unit.replace(/[^A-Za-z0-9]/g, "_")}.nii.gz`,
    colormap: "hot",
    opacity: Number(document.getElementById("opacity").value),
  };
}

function showFrames() {
  const pet = petVolume();
  const slider = document.getElementById("frame");
  slider.max = pet ? Math.max(pet.nFrame4D - 1, 0) : 0;
  slider.value = pet ? pet.frame4D : 0;
  document.getElementById("frame-label").textContent = `${Number(slider.value) + 1} of ${Number(slider.max) + 1}`;
}

function onLocation(data) {
  const pet = (data.values || []).find((v) => String(v.name).startsWith("pet"));
  const ct = (data.values || []).find((v) => String(v.name).startsWith("ct"));
  const parts = [];
  if (pet) parts.push(`PET ${Number(pet.value).toPrecision(4)} ${unit}`);
  if (ct) parts.push(`CT ${Number(ct.value).toFixed(0)} HU`);
  const mm = data.mm ? ` at (${data.mm.slice(0, 3).map((x) => x.toFixed(1)).join(", ")}) mm RAS` : "";
  document.getElementById("voxel").textContent = parts.join(", ") + mm;
}

async function start() {
  let module;
  try {
    module = await import("/static/vendor/niivue.min.js");
  } catch (err) {
    status.textContent = "The viewer library is missing on this server (run make web-assets).";
    return;
  }
  nv = new module.Niivue({ isColorbar: true, backColor: [0, 0, 0, 1], show3Dcrosshair: true,
                           onLocationChange: onLocation, preserveDrawingBuffer: true });
  await nv.attachTo("gl");
  const volumes = [];
  if (ctId) volumes.push({ url: `/api/series/${ctId}/volume.nii.gz`, name: "ct.nii.gz", colormap: "gray", cal_min: -800, cal_max: 1200 });
  if (petId) volumes.push(petSpec());
  const started = performance.now();
  await nv.loadVolumes(volumes);
  if (ctId) nv.volumes[0].colorbarVisible = false;
  nv.setSliceType(nv.sliceTypeMultiplanar);
  showFrames();
  status.textContent = `Loaded in ${((performance.now() - started) / 1000).toFixed(1)} s`;
  root.dataset.ready = "1";
  listStored();
}

document.getElementById("view").addEventListener("change", (event) => {
  const types = { multi: nv.sliceTypeMultiplanar, axial: nv.sliceTypeAxial, coronal: nv.sliceTypeCoronal,
                  sagittal: nv.sliceTypeSagittal, render: nv.sliceTypeRender };
  nv.setSliceType(types[event.target.value]);
});
document.getElementById("opacity").addEventListener("input", (event) => {
  const pet = petVolume();
  if (pet) nv.setOpacity(nv.getVolumeIndexByID(pet.id), Number(event.target.value));
});
document.getElementById("frame").addEventListener("input", (event) => {
  const pet = petVolume();
  if (pet) nv.setFrame4D(pet.id, Number(event.target.value));
  showFrames();
});
document.getElementById("unit").addEventListener("change", async (event) => {
  unit = event.target.value;
  document.getElementById("unit-label").textContent = unit;
  root.dataset.ready = "";
  status.textContent = `Converting to ${unit}…`;
  const old = petVolume();
  if (old) nv.removeVolume(old);
  await nv.addVolumeFromUrl(petSpec());
  showFrames();
  status.textContent = `PET in ${unit}`;
  root.dataset.ready = "1";
  document.getElementById("mip").src = `/api/series/${petId}/mip.gif?unit=${encodeURIComponent(unit)}`;
});

function tacSvg(tac, unitName) {
  if (tac.length < 2) return "";
  const w = 420, h = 220, m = 48;
  const xs = tac.map((p) => p.mid_min), ys = tac.map((p) => p.mean);
  const xmax = Math.max(...xs), ymax = Math.max(...ys, 0) || 1;
  const pts = tac.map((p) => `${m + (p.mid_min / xmax) * (w - m - 10)},${h - m + 10 - (p.mean / ymax) * (h - m)}`);
  return `<svg width="${w}" height="${h}" role="img" aria-label="time-activity curve">
    <polyline fill="none" stroke="#c0392b" stroke-width="2" points="${pts.join(" ")}"/>
    ${pts.map((p) => `<circle r="3" fill="#c0392b" cx="${p.split(",")[0]}" cy="${p.split(",")[1]}"/>`).join("")}
    <line x1="${m}" y1="${h - m + 10}" x2="${w - 10}" y2="${h - m + 10}" stroke="#333"/>
    <line x1="${m}" y1="10" x2="${m}" y2="${h - m + 10}" stroke="#333"/>
    <text x="${w / 2}" y="${h - 8}" text-anchor="middle">time (min)</text>
    <text x="12" y="${h / 2}" transform="rotate(-90 12 ${h / 2})" text-anchor="middle">mean (${unitName})</text>
    <text x="${m}" y="${h - m + 24}" font-size="10">0</text><text x="${w - 30}" y="${h - m + 24}" font-size="10">${xmax.toFixed(0)}</text>
    <text x="2" y="16" font-size="10">${ymax.toPrecision(3)}</text></svg>`;
}

function voiBody() {
  const mm = nv.frac2mm(nv.scene.crosshairPos);
  return { shape: document.getElementById("voi-shape").value, center_ras_mm: [mm[0], mm[1], mm[2]],
           radius_mm: Number(document.getElementById("voi-radius").value),
           fraction: Number(document.getElementById("voi-fraction").value), unit };
}

async function post(url, body) {
  return fetch(url, { method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
                      body: JSON.stringify(body) });
}

async function listStored() {
  const answer = await fetch(`/api/series/${petId}/vois`);
  if (!answer.ok) return;
  const select = document.getElementById("voi-stored");
  select.innerHTML = (await answer.json()).map((v) => `<option value="${v.id}">${v.name} (${v.id})</option>`).join("");
}

document.getElementById("voi-save").addEventListener("submit", async (event) => {
  event.preventDefault();
  const answer = await post(`/api/series/${petId}/vois`, { ...voiBody(), name: document.getElementById("voi-name").value });
  const data = await answer.json();
  document.getElementById("voi-result").textContent = answer.ok ? `saved as ${data.name}: ${data.files.join(", ")}` : data.detail;
  listStored();
});

document.getElementById("voi-stored-measure").addEventListener("click", async () => {
  const id = document.getElementById("voi-stored").value;
  if (id) showStats(await post(`/api/series/${petId}/voi?labels=${id}`, voiBody()));
});

document.getElementById("voi-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  showStats(await post(`/api/series/${petId}/voi`, voiBody()));
});

async function showStats(answer) {
  const out = document.getElementById("voi-result");
  const data = await answer.json();
  if (!answer.ok) { out.textContent = data.detail; return; }
  const rows = data.frames.map((f) => `<tr><td>${f.frame + 1}</td><td class="mean">${f.mean.toPrecision(6)}</td><td>${f.sd.toPrecision(4)}</td><td>${f.max.toPrecision(4)}</td><td>${f.volume_ml.toFixed(4)}</td><td>${f.n_voxels}</td></tr>`);
  out.innerHTML = `<p>${data.voi} (LPS mm), values in ${data.unit}</p>
    <table id="voi-table"><thead><tr><th>frame</th><th>mean</th><th>SD</th><th>max</th><th>volume (mL)</th><th>voxels</th></tr></thead><tbody>${rows.join("")}</tbody></table>
    ${tacSvg(data.tac, data.unit)}`;
  out.dataset.mean = data.frames[data.frames.length - 1].mean;
}

start();
