/*
 * The MFA parts of the page scripts (see client-scripts.ts): plain ES2020, appended to the shared
 * prelude. The secret, the QR code and the recovery codes exist only in these fetches' answers and
 * the DOM they fill; a reload drops them, which is how "shown once" holds on the page.
 */

/** Used by the sign-in and the settings scripts: enrolment, the recovery-code list, code errors. */
export const MFA_SHARED = `
/* The one field that takes either: six digits are an app code, anything else a recovery code. */
function factorBody(value) {
  var text = String(value || '').trim();
  var compact = text.replace(/[\\s-]/g, '');
  return /^[0-9]{6}$/.test(compact) ? { code: compact } : { recovery_code: text };
}

/* What a refused code means, said plainly; the API's own message for anything else. */
async function codeError(response) {
  var error = await errorOf(response);
  if (error.code === 'invalid_mfa_code') return 'That code is not right. Check that the device clock is set automatically, then try the code now shown.';
  if (error.code === 'invalid_token' || error.code === 'expired_token') return 'This sign-in has expired or was already used. Cancel and sign in again.';
  return error.message;
}

/* After a refused code the field is selected again, ready for the next try. */
function refocus(form) {
  var input = form.querySelector('input:not([type=hidden])');
  if (input) {
    input.focus();
    input.select();
  }
}

async function copyText(button, text, fallback) {
  try {
    await navigator.clipboard.writeText(text);
  } catch (ignored) {
    if (fallback) {
      fallback.select();
      document.execCommand('copy');
    }
  }
  button.textContent = 'Copied';
}

/*
 * Fills an enrolment box (mfa-markup.ts) from box.dataset.start, then confirms the first code at
 * box.dataset.confirm; call is send (sign-in) or api (settings). onCodes gets the recovery codes.
 */
async function startEnrolment(box, call, onCodes) {
  var loading = box.querySelector('.mfa-loading');
  var startError = box.querySelector('.mfa-start-error');
  var secret = box.querySelector('.mfa-secret');
  var form = box.querySelector('.mfa-confirm-form');
  show(startError, '');
  if (!box.dataset.wired) {
    box.dataset.wired = '1';
    var copy = box.querySelector('.copy-secret');
    copy.addEventListener('click', function () { copyText(copy, secret.value, secret); });
    onSubmit(form, async function (data) {
      var response = await call('POST', box.dataset.confirm, { code: String(data.code).replace(/\\s/g, '') });
      if (!response.ok) {
        refocus(form);
        return codeError(response);
      }
      var result = await response.json();
      box.hidden = true;
      onCodes(result.data.recovery_codes);
    });
  }
  var response = await call('POST', box.dataset.start, {});
  loading.hidden = true;
  if (!response.ok) {
    show(startError, await codeError(response));
    return false;
  }
  var started = (await response.json()).data;
  var image = box.querySelector('.mfa-qr');
  image.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(started.qr_svg);
  image.hidden = false;
  secret.value = started.secret;
  return true;
}

/* The recovery codes, shown once; "I saved them" must be ticked before onDone runs. */
function showRecoveryCodes(box, codes, onDone) {
  var list = box.querySelector('.recovery-codes');
  list.textContent = '';
  codes.forEach(function (code) {
    var item = document.createElement('li');
    var text = document.createElement('code');
    text.textContent = code;
    item.appendChild(text);
    list.appendChild(item);
  });
  var saved = box.querySelector('.saved-codes');
  var done = box.querySelector('.codes-done');
  var copy = box.querySelector('.copy-codes');
  saved.checked = false;
  done.disabled = true;
  saved.onchange = function () { done.disabled = !saved.checked; };
  copy.onclick = function () { copyText(copy, codes.join('\\n'), null); };
  done.onclick = function () {
    done.disabled = true;
    onDone();
  };
  box.hidden = false;
  box.querySelector('.recovery-title').focus();
}
`;

/** Signed in at last: on to returnUrl, or first to the password change the account still owes. */
export const PROCEED = `
var returnUrl = document.body.dataset.returnUrl || '/settings';

async function proceed() {
  var response = await send('GET', '/v1/user');
  if (!response.ok) return false;
  var body = await response.json();
  var user = body && body.data;
  location.assign(user && user.password_needs_reset === true
    ? root + '/change-password?returnUrl=' + encodeURIComponent(returnUrl)
    : root + returnUrl);
  return true;
}
`;

/** `/mfa` and `/mfa/enroll`: the second step of a password sign-in. */
export const MFA_LOGIN = `
var NOT_ACCEPTED = 'Signed in, but the session was not accepted. Are cookies allowed?';
var codeForm = document.getElementById('mfa-code-form');
var recoveryForm = document.getElementById('mfa-recovery-form');
var cancel = document.querySelector('#mfa-challenge .aside, #mfa-enrol-login .aside');

if (codeForm && recoveryForm) {
  var useRecovery = document.getElementById('use-recovery-code');
  var useTotp = document.getElementById('use-totp-code');
  var switchTo = function (recovery) {
    codeForm.hidden = recovery;
    recoveryForm.hidden = !recovery;
    useRecovery.hidden = recovery;
    useTotp.hidden = !recovery;
    (recovery ? recoveryForm : codeForm).querySelector('input').focus();
  };
  useRecovery.addEventListener('click', function () { switchTo(true); });
  useTotp.addEventListener('click', function () { switchTo(false); });

  var verify = async function (body, form) {
    var response = await send('POST', '/auth/mfa/verify', body);
    if (!response.ok) {
      refocus(form);
      return codeError(response);
    }
    var result = (await response.json()).data;
    var left = result.recovery_codes_remaining;
    /* A spent recovery code, or few left: say how many remain before going on. */
    if (result.method === 'recovery_code' || left <= 3) {
      document.getElementById('mfa-verify').hidden = true;
      if (cancel) cancel.hidden = true;
      var text = document.getElementById('mfa-few-codes-text');
      text.textContent = left === 0
        ? 'You have no recovery codes left. Get new ones now: without them, losing your authenticator locks you out.'
        : 'You have ' + left + ' recovery code' + (left === 1 ? '' : 's') + ' left.' + (left <= 3 ? ' Get new ones soon.' : '');
      document.getElementById('mfa-few-codes').hidden = false;
      text.focus();
      document.getElementById('mfa-continue').addEventListener('click', async function () {
        if (!(await proceed())) show(text, NOT_ACCEPTED);
      });
      return;
    }
    if (!(await proceed())) return NOT_ACCEPTED;
  };
  onSubmit(codeForm, function (data) { return verify({ code: String(data.code).replace(/\\s/g, '') }, codeForm); });
  onSubmit(recoveryForm, function (data) { return verify({ recovery_code: String(data.recovery_code).trim() }, recoveryForm); });
}

var loginEnrolment = document.getElementById('enrolment');
if (loginEnrolment) {
  startEnrolment(loginEnrolment, send, function (codes) {
    /* The account is signed in from here: cancelling no longer means anything. */
    if (cancel) cancel.hidden = true;
    document.getElementById('mfa-required').hidden = true;
    showRecoveryCodes(document.getElementById('recovery-codes'), codes, async function () {
      if (!(await proceed())) show(document.querySelector('#recovery-codes .recovery-title'), NOT_ACCEPTED);
    });
  });
}
`;

/** The settings page's "Two-factor authentication" section. */
export const MFA_SETTINGS = `
var mfaSection = document.getElementById('mfa');
if (mfaSection) {
  var mfaCodes = document.getElementById('mfa-recovery-codes');
  var reloadAfterCodes = function (codes) {
    mfaSection.querySelectorAll('.mfa-status, .mfa-manage').forEach(function (part) { part.hidden = true; });
    showRecoveryCodes(mfaCodes, codes, function () { location.reload(); });
  };

  var mfaStart = document.getElementById('mfa-start');
  var mfaEnrol = document.getElementById('mfa-enrolment');
  if (mfaStart && mfaEnrol) {
    mfaStart.addEventListener('click', async function () {
      mfaStart.hidden = true;
      mfaEnrol.hidden = false;
      mfaEnrol.focus();
      try {
        if (!(await startEnrolment(mfaEnrol, api, reloadAfterCodes))) mfaStart.hidden = false;
      } catch (thrown) {
        show(mfaEnrol.querySelector('.mfa-start-error'), thrown.message);
      }
    });
  }

  var regenerate = document.getElementById('mfa-regenerate-form');
  if (regenerate) {
    onSubmit(regenerate, async function (data) {
      var response = await api('POST', '/v1/user/mfa/recovery-codes', factorBody(data.code));
      if (!response.ok) {
        refocus(regenerate);
        return codeError(response);
      }
      reloadAfterCodes((await response.json()).data.recovery_codes);
    });
  }

  var remove = document.getElementById('mfa-remove-form');
  if (remove) {
    onSubmit(remove, async function (data) {
      if (!confirm('Remove your authenticator and its recovery codes? Sign-in then asks for your password only.')) return undefined;
      var response = await api('POST', '/v1/user/mfa/totp/remove', factorBody(data.code));
      if (!response.ok) {
        refocus(remove);
        return codeError(response);
      }
      location.reload();
    });
  }
}
`;
