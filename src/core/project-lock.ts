/**
 * One writer per project for what changes its git state — merges, worktrees added and
 * removed, branches deleted (DESIGN.md §7): two merges into one base at once left the main
 * checkout's index wrong. Operations of one project run one after another, in the order
 * they asked; other projects' go on meanwhile. Checks that only read may run outside.
 */
export class ProjectLocks {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(root: string, operation: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(root) ?? Promise.resolve();
    const result = previous.then(operation, operation);
    const tail = result.catch(() => undefined);
    this.tails.set(root, tail);
    // Forgotten once nothing waits behind it, so that the map holds only busy projects.
    void tail.then(() => this.tails.get(root) === tail && this.tails.delete(root));
    return result;
  }
}
