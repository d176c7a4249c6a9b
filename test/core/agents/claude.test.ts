import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keptPayload, reportFromEvent } from '../../../src/core/agent-events.js';
import { claude } from '../../../src/core/agents/claude.js';
import { backtrackingRisk } from '../../../src/core/regex-risk.js';

describe('the Claude Code integration', () => {
  it('hooks every event it reads, and nothing else, each in the background', () => {
    const { args } = claude.hooks!(['/usr/bin/node', '/opt/orchestra main.js', 'hook'], {});
    assert.equal(args?.[0], '--settings');
    const hooks = JSON.parse(args![1]!).hooks as Record<string, { hooks: { command: string; async: boolean }[] }[]>;
    assert.deepEqual(Object.keys(hooks), Object.keys(claude.events));
    for (const [event, [entry]] of Object.entries(hooks)) {
      assert.equal(entry!.hooks[0]!.command, `/usr/bin/node '/opt/orchestra main.js' hook ${event}`);
      assert.equal(entry!.hooks[0]!.async, true);
    }
  });

  it("passes on of a hook's JSON only what names the call", () => {
    const given = { session_id: 's', transcript_path: '/home/me/.claude/t.jsonl', tool_name: 'Write', tool_input: { file_path: '/r/a.txt', content: 'secret'.repeat(1000) } };
    assert.deepEqual(keptPayload('PreToolUse', given), { tool_name: 'Write', tool_input: { file_path: '/r/a.txt' } });
    assert.deepEqual(keptPayload('Stop', given), {});
    assert.deepEqual(keptPayload('Notification', { ...given, notification_type: 'permission_prompt', message: 'Claude needs your permission' }), { notification_type: 'permission_prompt', message: 'Claude needs your permission' });
    // What is kept is enough for what the daemon makes of it.
    const asked = { tool_name: 'Bash', tool_input: { command: 'npm test', description: 'Run the tests' } };
    assert.equal(reportFromEvent('PermissionRequest', keptPayload('PermissionRequest', asked))?.reason, 'permission to use Bash: npm test');
  });

  it("knows Claude Code's dialogs on its screen, and nothing else there (as 2.1.332 draws them)", () => {
    const patterns = claude.patterns;
    for (const p of patterns) assert.equal(backtrackingRisk(p.match), undefined, p.match);
    /** What the holder makes of a screen: the first pattern that matches (src/holder/screen-activity.ts). */
    const seen = (screen: string) => {
      const pattern = patterns.find((p) => new RegExp(p.match, 'm').test(screen));
      return pattern && (pattern.reason ?? pattern.status);
    };
    const trust = ' Quick safety check: Is this a project you created or one you trust? (Like your own code, a well-known open source\n project, or work from your team).\n\n ❯ No, exit\n   Yes, I trust this folder\n';
    assert.equal(seen(trust), 'an answer to whether to trust the folder');
    const manual = ' Bash command\n\n echo hi > out.txt\n\n Do you want to proceed?\n ❯ 1. Yes\n   2. Yes, and always allow access to /repo from this project\n   4. No\n\n Esc to cancel · Tab to amend';
    assert.equal(seen(manual), 'permission to use a tool');
    assert.equal(seen(manual.replace('❯ 1. Yes', '  1. Yes').replace('   4. No', ' ❯ 4. No')), 'permission to use a tool', 'another option chosen');
    const approval = " Auto mode can't check actions in this session, so this one needs your approval\n  \n Do you want to proceed?\n ❯ No\n   Yes\n\n Esc to cancel · Tab to amend";
    assert.equal(seen(approval), 'permission to use a tool');
    const auto = "  Auto mode can't check actions in this session\n\n  Enter to stay in auto mode · shift+Tab to leave for accept edits mode and stop · Esc to cancel";
    assert.equal(seen(auto), "a choice: auto mode can't check actions in this session");
    const nudge = '────\n  Make auto mode your default permission mode?\n\n  Auto mode lets Claude handle permission prompts automatically.\n \n  ❯ Yes, set auto mode as my default permission mode\n    No, keep manual mode\n  \n  Not answered yet · ↑/↓ to choose · Esc to cancel';
    assert.equal(seen(nudge), 'a choice: whether to make auto mode the default permission mode');
    // Its notices and a reply that asks in words are no dialog.
    const notices = "▎ Auto mode is now Claude Code's default permission mode.\n\n● Do you want to proceed? I can also stop here.\n\n❯ \n  ⏵⏵ auto mode on (shift+tab to cycle)";
    assert.equal(seen(notices), undefined);
    // Esc: "Interrupted" under what it cut short, then blank lines, the effort indicator and the input box.
    const box = `${'─'.repeat(60)}\n❯\u00a0 \n${'─'.repeat(60)}\n  ⏸ manual mode on · ? for shortcuts · ← for agents`;
    const interrupted = `❯ Count to a hundred.\n\n● 1, 2, 3, 4, 5, 6, 7, 8, 9,\n  ⎿ \u00a0Interrupted · What should Claude do instead?\n${'\n'.repeat(12)}${' '.repeat(40)}◐ medium · /effort\n${box}`;
    assert.equal(seen(interrupted), 'idle');
    assert.equal(seen(interrupted.replace('❯\u00a0 ', '❯ and now count to ten')), 'idle', 'a next prompt typed, not yet sent');
    assert.equal(seen(interrupted.replace(/\n{12}/, '\n')), 'idle', 'a full screen');
    // The next turn: the line stays in the transcript, with the new prompt and its work below it.
    const nextTurn = interrupted.replace(/\n{12}/, '\n\n❯ Count to ten.\n\n✶ Thinking… (esc to interrupt)\n\n');
    assert.equal(seen(nextTurn), undefined);
    assert.equal(seen(interrupted.replace(/\n{12}/, '\n\n❯ Count to ten.\n\n')), undefined, 'the next prompt sent, its work not drawn yet');
  });
});
