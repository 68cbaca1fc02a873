import { type ChatInputCommandInteraction, SlashCommandBuilder } from "discord.js";

const OPTION = "request";

/** The chat commands, the same on every platform; on Discord each takes its words as one option. */
export const discordCommands = [
  new SlashCommandBuilder()
    .setName("project")
    .setDescription("Start a multi-agent project, or list, inspect and cancel projects")
    .addStringOption((option) => option.setName(OPTION).setDescription("GOAL, or: status [ID] | list | cancel ID").setRequired(false)),
  new SlashCommandBuilder()
    .setName("tools")
    .setDescription("List, describe and run the assistant's tools")
    .addStringOption((option) => option.setName(OPTION).setDescription("describe NAME | run NAME {json}").setRequired(false)),
  new SlashCommandBuilder()
    .setName("memory")
    .setDescription("What this channel's assistant remembers")
    .addStringOption((option) => option.setName(OPTION).setDescription("search WORDS | forget ID | forget all").setRequired(false)),
  new SlashCommandBuilder().setName("agent").setDescription("The channel assistant's status"),
  new SlashCommandBuilder().setName("usage").setDescription("The channel's model tokens and cost today, and its budget"),
].map((command) => command.toJSON());

export function commandText(interaction: ChatInputCommandInteraction): string {
  return interaction.options.getString(OPTION) ?? "";
}
