package gateway

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	toolscache "k8s.io/client-go/tools/cache"

	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
	"github.com/wasmbed/wasmbed/sut/pki"

	"github.com/wasmbed/wasmbed/sut/refusal"
)

// watch wires the informers to the gateway: Device changes answer waiting
// enrolments, end sessions of revoked or deleted devices and trigger app
// sync; Applications trigger app sync; the Gateway object updates the
// settings; the CA Secret installs rotations and revocations.
func (g *Gateway) watch(ctx context.Context) error {
	c := g.cluster.GetCache()
	devInf, err := c.GetInformer(ctx, &wasmbedv1.Device{})
	if err != nil {
		return err
	}
	_, err = devInf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { g.onDevice(o) },
		UpdateFunc: func(_, o any) { g.onDevice(o) },
		DeleteFunc: func(o any) { g.onDeviceDeleted(o) },
	})
	if err != nil {
		return err
	}
	appInf, err := c.GetInformer(ctx, &wasmbedv1.Application{})
	if err != nil {
		return err
	}
	_, err = appInf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { g.apps.applicationChanged(o) },
		UpdateFunc: func(_, o any) { g.apps.applicationChanged(o) },
		DeleteFunc: func(o any) { g.apps.applicationChanged(o) },
	})
	if err != nil {
		return err
	}
	gwInf, err := c.GetInformer(ctx, &wasmbedv1.Gateway{})
	if err != nil {
		return err
	}
	_, err = gwInf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		UpdateFunc: func(_, o any) {
			if gw, ok := o.(*wasmbedv1.Gateway); ok && gw.Name == g.opts.Name {
				g.setSpec(&gw.Spec)
			}
		},
	})
	if err != nil {
		return err
	}
	secInf, err := c.GetInformer(ctx, &corev1.Secret{})
	if err != nil {
		return err
	}
	_, err = secInf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		UpdateFunc: func(_, o any) { g.onCASecret(o) },
	})
	return err
}

func (g *Gateway) onDevice(o any) {
	d, ok := o.(*wasmbedv1.Device)
	if !ok {
		return
	}
	g.waiters.observe(d)
	if s := g.reg.current(d.Name); s != nil {
		if d.Spec.Revoked || d.Spec.PublicKey != wasmbedv1.EncodePublicKey(s.peer.key) {
			g.log.Info("ending session", "device", d.Name, "reason", refusal.ReasonDeviceRevoked)
			g.metrics.refuse(refusal.StageSession, refusal.ReasonDeviceRevoked)
			s.close(false)
			return
		}
		g.apps.deviceChanged(d.Name)
	}
}

func (g *Gateway) onDeviceDeleted(o any) {
	if t, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
		o = t.Obj
	}
	if d, ok := o.(*wasmbedv1.Device); ok {
		if s := g.reg.current(d.Name); s != nil {
			g.log.Info("ending session", "device", d.Name, "reason", refusal.ReasonUnknownDevice)
			s.close(false)
		}
	}
}

// onCASecret installs a rotated CA or a new revocation list, and ends the
// sessions of devices whose certificate was just revoked.
func (g *Gateway) onCASecret(o any) {
	s, ok := o.(*corev1.Secret)
	if !ok || s.Name != g.opts.CASecret {
		return
	}
	ca, err := pki.FromSecret(s)
	if err != nil {
		g.log.Error("CA secret unreadable; keeping the previous CA", "err", err)
		return
	}
	old := g.ca.Load()
	if old != nil && old.Cert.Equal(ca.Cert) {
		g.ca.Store(ca) // same root: only the revocation list or overlap changed
	} else if err := g.installCA(ca); err != nil {
		g.log.Error("installing rotated CA failed", "err", err)
		return
	} else {
		g.log.Info("CA rotated", "root", ca.Cert.Subject.CommonName)
	}
	for _, sess := range g.reg.all() {
		if ca.IsRevoked(sess.peer.cert.SerialNumber) {
			g.log.Info("ending session", "device", sess.device, "reason", refusal.ReasonCertRevoked)
			g.metrics.refuse(refusal.StageSession, refusal.ReasonCertRevoked)
			sess.close(false)
		} else if err := ca.VerifyClient(sess.peer.cert, sess.start); err != nil {
			g.log.Info("ending session", "device", sess.device, "reason", refusal.ReasonUnknownAuthority)
			sess.close(false)
		}
	}
}
