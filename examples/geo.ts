/**
 * GeoField: points { latitude, longitude } in a Redis geo set, found within a radius of a point
 * or of another instance, nearest first with their distances, combined with other filters.
 *
 *   REDIS_URL=redis://127.0.0.1:6379/9 npx tsx examples/geo.ts
 *
 * It deletes every instance of its model (GeoPlace) at the end.
 */
import {
  connect,
  disconnect,
  GeoField,
  IndexedField,
  KeyField,
  Model,
  ValidationError,
} from "../src/index.js";

class GeoPlace extends Model("GeoPlace", {
  name: KeyField(),
  kind: IndexedField(),
  location: GeoField(),
}) {}

const show = (title: string, value: unknown): void => console.log(`${title}:`, value);

async function main(): Promise<void> {
  await GeoPlace.bulkCreate([
    { name: "Colosseum", kind: "monument", location: { latitude: 41.8902, longitude: 12.4922 } },
    { name: "Pantheon", kind: "monument", location: { latitude: 41.8986, longitude: 12.4769 } },
    { name: "St Peter's", kind: "church", location: { latitude: 41.9022, longitude: 12.4539 } },
    { name: "Ostia Antica", kind: "monument", location: { latitude: 41.7556, longitude: 12.2919 } },
    { name: "Eiffel Tower", kind: "monument", location: { latitude: 48.8584, longitude: 2.2945 } },
    // Latitude and longitude 0 are a real place.
    { name: "Null Island", kind: "buoy", location: { latitude: 0, longitude: 0 } },
  ]);

  // Within a radius of a point: an awaited query gives the instances, nearest first.
  const rome = { latitude: 41.9028, longitude: 12.4964 };
  const near = await GeoPlace.query().filter({ location__within: { ...rome, radius: 5, unit: "km" } });
  show(
    "within 5 km of central Rome",
    near.map((p) => p.name),
  );

  // nearest(): the same, each with its distance from the centre, in the filter's unit.
  const withDistance = await GeoPlace.query()
    .filter({ location__within: { ...rome, radius: 30, unit: "km" } })
    .nearest();
  show(
    "within 30 km, with distances",
    withDistance.map(({ instance, distance }) => `${instance.name}: ${distance.toFixed(2)} km`),
  );

  // Around another instance (`member`: an instance or its key), combined with other filters.
  const monuments = await GeoPlace.query()
    .filter({ location__within: { member: "GeoPlace:Pantheon", radius: 2, unit: "km" }, kind: "monument" })
    .nearest();
  show(
    "monuments within 2 km of the Pantheon",
    monuments.map(({ instance, distance }) => `${instance.name}: ${distance.toFixed(2)} km`),
  );
  show(
    "within 1 m of 0,0",
    (await GeoPlace.query().filter({ location__within: { latitude: 0, longitude: 0, radius: 1 } })).map(
      (p) => p.name,
    ),
  );

  // Out-of-range coordinates are rejected before anything is written.
  try {
    await GeoPlace.create({ name: "Nowhere", kind: "error", location: { latitude: 91, longitude: 0 } });
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    show("latitude 91", `${error.code}: ${error.message}`);
  }
}

await connect();
try {
  await main();
} finally {
  await GeoPlace.deleteAll();
  await disconnect();
}
