/** How a person gets a newer git on this platform, for the sentence that says theirs is too old. */
export function gitInstallHint(platform: NodeJS.Platform): string {
  switch (platform) {
    case 'darwin':
      // Apple's command line tools lag behind; Homebrew's git is current.
      return "install git from Homebrew ('brew install git') and make sure its directory comes first on PATH (which git)";
    case 'linux':
      return "install a newer git from your distribution's backports or the git project's packages (git-scm.com/download/linux), then start the daemon again ('orchestra daemon stop')";
    default:
      return "install a newer git from git-scm.com, then start the daemon again ('orchestra daemon stop')";
  }
}
