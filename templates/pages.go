package templates

import (
	"bytes"
	"embed"
	htmltemplate "html/template"
	"strings"
)

// The public pages a crew member opens from a text or a borrowed phone:
// a reset link's form, "forgot password" and "change password". Plain
// forms, no script, one narrow column that reads at 320 px.
//
//go:embed pages/*.html
var pagesFS embed.FS

// Pages renders the public pages. It is safe for concurrent use.
type Pages struct {
	pages map[string]*htmltemplate.Template
}

// PageNames are the pages Pages renders.
var PageNames = []string{"link", "message", "reset", "password", "verify"}

// LoadPages parses the embedded pages.
func LoadPages() (*Pages, error) {
	p := &Pages{pages: map[string]*htmltemplate.Template{}}
	for _, n := range PageNames {
		t, err := htmltemplate.ParseFS(pagesFS, "pages/layout.html", "pages/"+n+".html")
		if err != nil {
			return nil, err
		}
		p.pages[n] = t
	}
	return p, nil
}

// Render executes page name with data (whose T field holds the locale's
// strings, see PageText).
func (p *Pages) Render(name string, data any) ([]byte, error) {
	t, ok := p.pages[name]
	if !ok {
		return nil, notFound(name, "page")
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout", data); err != nil {
		return nil, renderError(name, err)
	}
	return b.Bytes(), nil
}

// PageLang picks "en" or "es": the explicit choice if it is one of them,
// else the first of them in an Accept-Language header, else "en".
func PageLang(choice, acceptLanguage string) string {
	if l := pageLang(choice); l != "" {
		return l
	}
	for _, part := range strings.Split(acceptLanguage, ",") {
		tag, _, _ := strings.Cut(part, ";")
		if l := pageLang(tag); l != "" {
			return l
		}
	}
	return "en"
}

func pageLang(tag string) string {
	tag = strings.ToLower(strings.TrimSpace(tag))
	primary, _, _ := strings.Cut(tag, "-")
	if primary == "en" || primary == "es" {
		return primary
	}
	return ""
}

// PageText returns a locale's strings for the pages.
func PageText(lang string) map[string]string {
	if lang == "es" {
		return pageES
	}
	return pageEN
}

var pageEN = map[string]string{
	"title": "Password", "language": "Language",
	"link_title": "Choose a new password", "new_password": "New password", "new_password2": "New password again",
	"rules": "Use a phrase you will remember. Minimum characters:", "save": "Save password",
	"link_used":       "This link was used already. Your password is the one chosen with it.",
	"link_expired":    "This link has expired.",
	"link_superseded": "A newer reset replaced this link. Use the newest message you received.",
	"link_cancelled":  "This link no longer works: your password or your record changed since it was sent.",
	"link_unknown":    "This link is not valid. Check that it was copied whole.",
	"link_gone_title": "This link cannot be used", "new_request": "Ask for a new reset",
	"link_done_title": "Password saved", "link_done": "Your new password is saved. Sign in with it in the app.",
	"reset_title": "Forgot your password?",
	"reset_intro": "Enter the email on your company record. We will send a reset by text and email to what is on record.",
	"email":       "Email", "phone": "Mobile phone (optional)", "phone_hint": "The number on your record, to get a text too.",
	"company": "Company", "send": "Send me a reset", "change_link": "Know your password? Change it",
	"sent_title":   "Check your phone and email",
	"sent":         "If the details match an account that may reset its password, a message is on its way by text and email.",
	"change_title": "Change your password", "old_password": "Current password",
	"forgot_link": "Forgot your password?", "changed_title": "Password changed",
	"changed":  "Your password is changed. Use the new one from now on.",
	"err_csrf": "This form expired. Please try again.", "err_differ": "The two new passwords are not the same.",
	"err_short": "The new password is too short.", "err_long": "The new password is too long.",
	"err_common": "That password is too common. Choose another.", "err_personal": "Do not use your name or email in the password.",
	"err_chars": "The password has characters that cannot be used.", "err_login": "The email or current password is wrong.",
	"err_limited": "Too many tries. Please wait a few minutes.", "err_email": "Enter a valid email address.",
	"err_phone": "Enter a valid phone number, or leave it empty.", "err_other": "That did not work. Please try again.",
	"verify_title": "Confirm your email address",
	"verify_intro": "Press the button to confirm that this email address is yours.", "verify_button": "Confirm my email",
	"verify_done_title": "Email confirmed", "verify_done": "Thank you: your email address is confirmed.",
	"verify_gone_title": "This link cannot be used",
	"verify_used":       "This link was used already: the address it was sent to is confirmed.",
	"verify_expired":    "This link has expired. Ask your office to send a new one.",
	"verify_unknown":    "This link is not valid, or a newer one replaced it. Use the newest message, or ask your office for a new one.",
}

var pageES = map[string]string{
	"title": "Contraseña", "language": "Idioma",
	"link_title": "Elige una contraseña nueva", "new_password": "Contraseña nueva", "new_password2": "Repite la contraseña nueva",
	"rules": "Usa una frase que recuerdes. Mínimo de caracteres:", "save": "Guardar contraseña",
	"link_used":       "Este enlace ya se usó. Tu contraseña es la que elegiste con él.",
	"link_expired":    "Este enlace venció.",
	"link_superseded": "Un restablecimiento más reciente reemplazó este enlace. Usa el último mensaje que recibiste.",
	"link_cancelled":  "Este enlace ya no sirve: tu contraseña o tu ficha cambiaron desde que se envió.",
	"link_unknown":    "Este enlace no es válido. Revisa que se haya copiado completo.",
	"link_gone_title": "Este enlace no se puede usar", "new_request": "Pedir un restablecimiento nuevo",
	"link_done_title": "Contraseña guardada", "link_done": "Tu contraseña nueva quedó guardada. Entra con ella en la app.",
	"reset_title": "¿Olvidaste tu contraseña?",
	"reset_intro": "Escribe el correo de tu ficha en la empresa. Enviaremos un restablecimiento por SMS y correo a los datos registrados.",
	"email":       "Correo electrónico", "phone": "Celular (opcional)", "phone_hint": "El número de tu ficha, para recibir también un SMS.",
	"company": "Empresa", "send": "Enviarme un restablecimiento", "change_link": "¿Sabes tu contraseña? Cámbiala",
	"sent_title":   "Revisa tu teléfono y tu correo",
	"sent":         "Si los datos coinciden con una cuenta que puede restablecer su contraseña, va en camino un mensaje por SMS y correo.",
	"change_title": "Cambia tu contraseña", "old_password": "Contraseña actual",
	"forgot_link": "¿Olvidaste tu contraseña?", "changed_title": "Contraseña cambiada",
	"changed":  "Tu contraseña cambió. Usa la nueva desde ahora.",
	"err_csrf": "Este formulario venció. Inténtalo de nuevo.", "err_differ": "Las dos contraseñas nuevas no son iguales.",
	"err_short": "La contraseña nueva es muy corta.", "err_long": "La contraseña nueva es muy larga.",
	"err_common": "Esa contraseña es muy común. Elige otra.", "err_personal": "No uses tu nombre ni tu correo en la contraseña.",
	"err_chars": "La contraseña tiene caracteres que no se pueden usar.", "err_login": "El correo o la contraseña actual no son correctos.",
	"err_limited": "Demasiados intentos. Espera unos minutos.", "err_email": "Escribe un correo válido.",
	"err_phone": "Escribe un teléfono válido o déjalo vacío.", "err_other": "No funcionó. Inténtalo de nuevo.",
	"verify_title": "Confirma tu correo",
	"verify_intro": "Pulsa el botón para confirmar que este correo es tuyo.", "verify_button": "Confirmar mi correo",
	"verify_done_title": "Correo confirmado", "verify_done": "Gracias: tu correo quedó confirmado.",
	"verify_gone_title": "Este enlace no se puede usar",
	"verify_used":       "Este enlace ya se usó: el correo al que se envió está confirmado.",
	"verify_expired":    "Este enlace venció. Pide a tu oficina que te envíe uno nuevo.",
	"verify_unknown":    "Este enlace no es válido, o uno más reciente lo reemplazó. Usa el último mensaje o pide uno nuevo a tu oficina.",
}
