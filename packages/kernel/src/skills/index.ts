export { BUNDLED_SKILLS } from './bundled/index.js';
export { missingTools, SkillCatalog, type SkillCatalogOptions } from './catalog.js';
export { type Discovery, discoverSkills } from './discover.js';
export {
  HeldSkills,
  promptSkills,
  SKILL_LOAD_TOOL,
  skillLoadTool,
  skillTools,
  toolNamesOf,
} from './held-skills.js';
export {
  installSkill,
  removeSkill,
  type SkillInstallOptions,
  type SkillInstallResult,
  type SkillRemoveResult,
  type SkillScope,
} from './install.js';
export { installDirectory, type SkillLocation, type SkillPlaces, skillLocations } from './locations.js';
export { formatBytes } from './safe-fs.js';
export {
  parseSkill,
  promptDescription,
  SKILL_NAME,
  SKILL_TIERS,
  type Skill,
  type SkillTier,
} from './skill.js';
export { skillBody, skillFiles, skillResource } from './skill-content.js';
export { oxydraToolName } from './tool-aliases.js';
