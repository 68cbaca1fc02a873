import { z } from "zod";
import { defineTool, type Tool } from "../define.js";
import { getJson } from "./web-search.js";

export interface WeatherSettings {
  geocodingUrl: string;
  forecastUrl: string;
}

const places = z.object({
  results: z
    .array(
      z.object({
        name: z.string(),
        latitude: z.number(),
        longitude: z.number(),
        country: z.string().optional(),
        admin1: z.string().optional(),
        timezone: z.string().optional(),
      }),
    )
    .optional(),
});
const forecast = z.object({
  timezone: z.string().optional(),
  current: z.record(z.string(), z.union([z.number(), z.string(), z.null()])).optional(),
  current_units: z.record(z.string(), z.string()).optional(),
  daily: z.record(z.string(), z.array(z.union([z.number(), z.string(), z.null()]))).optional(),
  daily_units: z.record(z.string(), z.string()).optional(),
});

const CURRENT = "temperature_2m,apparent_temperature,relative_humidity_2m,precipitation,weather_code,wind_speed_10m";
const DAILY = "weather_code,temperature_2m_max,temperature_2m_min,precipitation_sum,precipitation_probability_max";

/** `weather` from Open-Meteo (no key): the place is geocoded first, then its forecast fetched. */
export function weatherTool(settings: WeatherSettings): Tool {
  return defineTool({
    name: "weather",
    description: "Current weather and a daily forecast for a named place (city, town), from Open-Meteo.",
    category: "web",
    risk: "read",
    policy: { timeoutMs: 10_000, maxRetries: 1 },
    input: z.object({
      place: z.string().min(1).max(200).describe("A place name, e.g. Lisbon or Portland, Oregon"),
      days: z.number().int().min(1).max(16).default(3).describe("Days of forecast"),
    }),
    run: async ({ place, days }, { signal }) => {
      const geocoding = new URL(settings.geocodingUrl);
      // Open-Meteo matches the name alone; the words after a comma narrow it down here.
      const [name = place, ...qualifiers] = place.split(",").map((part) => part.trim());
      geocoding.search = new URLSearchParams({ name, count: "10", language: "en", format: "json" }).toString();
      const found = places.parse(await getJson(geocoding, { signal })).results ?? [];
      const wanted = qualifiers.map((word) => word.toLowerCase());
      const match =
        found.find((hit) => wanted.every((word) => [hit.country, hit.admin1].some((field) => field?.toLowerCase().includes(word)))) ??
        found[0];
      if (!match) throw new Error(`no place called "${place}" was found`);
      const url = new URL(settings.forecastUrl);
      url.search = new URLSearchParams({
        latitude: String(match.latitude),
        longitude: String(match.longitude),
        current: CURRENT,
        daily: DAILY,
        timezone: "auto",
        forecast_days: String(days),
      }).toString();
      const weather = forecast.parse(await getJson(url, { signal }));
      return {
        place: [match.name, match.admin1, match.country].filter(Boolean).join(", "),
        latitude: match.latitude,
        longitude: match.longitude,
        timezone: weather.timezone ?? match.timezone,
        current: weather.current,
        currentUnits: weather.current_units,
        daily: weather.daily,
        dailyUnits: weather.daily_units,
      };
    },
  });
}
